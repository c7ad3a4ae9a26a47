import process from "node:process";
import { type Btf, readBpfObject } from "../btf/mod.ts";
import {
  formatProgramHelp,
  formatProgramVersion,
  parseProgramArgs,
  type ProgramFlag,
  programFlags,
  variableImages,
} from "../args/mod.ts";
import { buildDecoder } from "../decode/mod.ts";
import {
  MapSampler,
  PerfBufferReader,
  RingBufferReader,
  type SampledEntry,
} from "../export/mod.ts";
import { BpfObject, type LogSink } from "../loader/mod.ts";
import type { Package } from "../package/mod.ts";
import { RunError } from "./errors.ts";
import { type ExportPlan, selectExports } from "./exports.ts";
import { FdOutput, type Output } from "./output.ts";
import { makePrinter, type OutputFormat, type Printer } from "./printer.ts";

/** Receives what the exports produce; the default prints, a handler or an iterator replaces it. */
export interface EventConsumer {
  /** Called once per export before any data (e.g. to print a table header). */
  begin?(plan: ExportPlan): void;
  /** A ring/perf buffer record; `bytes` is valid only during the call. */
  record(plan: ExportPlan, bytes: Uint8Array): void;
  /**
   * A ring buffer record as `length` bytes at `offset` of `view` (valid only during the call),
   * used instead of `record` when present: it saves a `Uint8Array` per event.
   */
  recordAt?(plan: ExportPlan, view: DataView, offset: number, length: number): void;
  /** One sampling round of a sampled map. */
  sample(plan: ExportPlan, entries: SampledEntry[]): void;
  /** Called once after attach, before events are read (awaited). */
  start?(): Promise<void>;
  /** Called once after the last event, before teardown (awaited). */
  finish?(): Promise<void>;
}

/** How a package starts. */
export interface StartOptions {
  /** The program's own flags (generated from its variables). */
  programArgs?: string[];
  /** Variable values by variable name (after `programArgs`, so these win). */
  values?: Record<string, string | number | boolean | bigint>;
  /** Output format of the default printer (default plain text). */
  format?: OutputFormat;
  /** libbpf debug output and the verifier log. */
  verbose?: boolean;
  /** Kernel BTF file for CO-RE (`--btf`); default `BTF_FILE_PATH`, the kernel's, the package's. */
  btfPath?: string;
  /** Stop after this many ms. */
  durationMs?: number;
  /** Stop after this many events (records, or sampling rounds of a sampled map). */
  count?: number;
  /** Where printed events go (default: buffered stdout). */
  out?: Output;
  /** Diagnostics (default: stderr). */
  log?: (line: string) => void;
  /** Ends the run when aborted. */
  signal?: AbortSignal;
  /** Makes the consumer of the run's data (default: print it in `format`). */
  consumer?: (ctx: ConsumerSetup) => EventConsumer;
}

/** What a consumer factory can use. */
export interface ConsumerSetup {
  /** The package's metadata. */
  meta: Package["meta"];
  /** The object's BTF (decoders). */
  btf: Btf;
  /** The loaded object (maps). */
  object: BpfObject;
  /** The program's flags and their decoded values. */
  args: Record<string, unknown>;
  /** Where output goes. */
  out: Output;
  /** Ends the run; an error makes `done` reject with it. */
  stop(error?: Error): void;
}

/** What a run did. */
export interface RunSummary {
  /** Exit code for the CLI. */
  code: number;
  /** Events delivered. */
  events: number;
  /** Events the kernel reported lost. */
  lost: number;
}

interface Reader {
  run(signal?: AbortSignal): Promise<void>;
  close(): Promise<void> | void;
}

/** A package attached in the kernel, delivering events until stopped. */
export class RunningProgram {
  /** The events delivered and lost so far. */
  readonly summary: RunSummary = { code: 0, events: 0, lost: 0 };
  /** Resolves after teardown (rejects with the error that ended the run, if any). */
  readonly done: Promise<RunSummary>;
  #stop: AbortController;

  /** @internal Use `startProgram`. */
  constructor(
    readonly object: BpfObject,
    readonly args: Record<string, unknown>,
    stop: AbortController,
    run: (self: RunningProgram) => Promise<RunSummary>,
  ) {
    this.#stop = stop;
    this.done = run(this);
    // Whoever holds the program decides what to do with a failure; never an unhandled one.
    this.done.catch(() => {});
  }

  /** The object's name. */
  get name(): string {
    return this.object.name;
  }

  /** Ends the run; `done` resolves once everything is detached. */
  stop(): void {
    this.#stop.abort();
  }

  /** `await using prog = await startProgram(…)` stops and tears down at scope end. */
  async [Symbol.asyncDispose](): Promise<void> {
    this.stop();
    await this.done.catch(() => {});
  }
}

/** Reads every flag's value as the program will see it: given, default, or the ELF's. */
function decodeArgs(
  flags: ProgramFlag[],
  images: { name: string; bytes: Uint8Array }[],
  btf: Btf,
  sections: Map<string, Uint8Array>,
): Record<string, unknown> {
  const args: Record<string, unknown> = {};
  for (const f of flags) {
    const given = images.find((i) => i.name === f.variable)?.bytes;
    const size = btf.sizeOf(f.typeId);
    const initial = sections.get(f.section)?.subarray(f.offset, f.offset + size);
    const bytes = given ?? (initial?.length === size ? initial : new Uint8Array(size));
    args[f.variable] = buildDecoder(btf, f.typeId)(bytes);
  }
  return args;
}

/** The help or version text when the program flags ask for it, else undefined. */
export function programInfo(pkg: Package, programArgs: string[]): string | undefined {
  const { btf } = readBpfObject(pkg.object);
  const flags = programFlags(pkg.meta, btf);
  const parsed = parseProgramArgs(flags, programArgs);
  if (parsed.help) return formatProgramHelp(pkg.meta, flags);
  if (parsed.version) return formatProgramVersion(pkg.meta);
  return undefined;
}

/**
 * Starts a package: parses its flags, opens it in libbpf with the flag values written into
 * its data sections, loads and attaches it, and starts delivering its events to the consumer
 * (default: printed). Any error before the programs are attached leaves nothing behind.
 */
export function startProgram(pkg: Package, opts: StartOptions = {}): RunningProgram {
  const log = opts.log ?? ((line: string) => console.error(line));
  const out = opts.out ?? new FdOutput();
  const { meta } = pkg;
  const { btf, elf } = readBpfObject(pkg.object);
  const flags = programFlags(meta, btf);
  const parsed = parseProgramArgs(flags, opts.programArgs ?? []);
  for (const [name, v] of Object.entries(opts.values ?? {})) {
    if (!flags.some((f) => f.variable === name)) {
      throw new RunError(`no variable '${name}' among the program's flags`);
    }
    parsed.values.set(name, v);
  }
  const verbose = opts.verbose || parsed.verbose;
  const images = variableImages(flags, parsed.values, btf);
  const sections = new Map(elf.sections.map((s) => [s.name, s.data]));
  const args = decodeArgs(flags, images, btf, sections);
  const libbpfLog: LogSink = (level, line) =>
    log(`libbpf: ${level === "warn" ? "warning: " : ""}${line}`);
  const obj = BpfObject.open(pkg, { log: libbpfLog, verbose, btfPath: opts.btfPath });
  const stop = new AbortController();
  let failure: Error | undefined;
  const halt = (error?: Error) => {
    failure ??= error;
    stop.abort();
  };
  let plans: ExportPlan[];
  let consumer: EventConsumer;
  try {
    const known = new Set(obj.maps().map((m) => m.name));
    for (const m of meta.bpf_skel.maps) {
      if (!known.has(m.name)) {
        throw new RunError(`map '${m.name}' named in the package meta is not in the BPF object`);
      }
    }
    obj.setVariables(images);
    plans = selectExports(meta, btf, (name) => obj.map(name).type, log);
    obj.load();
    obj.attach();
    consumer = (opts.consumer ?? printingConsumer(btf, opts.format ?? "plain", out))({
      meta,
      btf,
      object: obj,
      args,
      out,
      stop: halt,
    });
  } catch (e) {
    obj.close();
    throw e;
  }

  return new RunningProgram(obj, args, stop, async (self) => {
    const summary = self.summary;
    const limit = opts.count ?? Infinity;
    const counted = () => {
      if (++summary.events >= limit) stop.abort();
    };
    const readers: Reader[] = [];
    const timer = opts.durationMs !== undefined
      ? setTimeout(() => halt(), opts.durationMs)
      : undefined;
    opts.signal?.addEventListener("abort", () => halt(), { once: true });
    try {
      for (const plan of plans) {
        consumer.begin?.(plan);
        readers.push(makeReader(plan, obj, consumer, {
          counted,
          stopped: () => stop.signal.aborted,
          lost: (n) => {
            summary.lost += n;
            log(`ecli: lost ${n} events (perf buffer of '${plan.map.name}' full)`);
          },
          timeoutMs: meta.poll_timeout_ms,
          flush: () => out.flush(),
        }));
      }
      // The handler's start() runs before "attached" is announced: whatever it sets up (a
      // filter map, say) is in place before anyone relies on the run.
      await consumer.start?.();
      out.flush();
      const n = obj.attachments.length;
      const what = plans.map((p) => `${p.map.name} (${p.kind})`).join(", ") || "no export map";
      log(
        `ecli: ${obj.name}: ${n} program${
          n === 1 ? "" : "s"
        } attached, printing ${what}; Ctrl-C to stop`,
      );
      const aborted = new Promise<void>((resolve) => {
        if (stop.signal.aborted) resolve();
        stop.signal.addEventListener("abort", () => resolve(), { once: true });
      });
      await Promise.race([aborted, ...readers.map((r) => r.run(stop.signal))]);
    } catch (e) {
      failure ??= e as Error;
    } finally {
      clearTimeout(timer);
      stop.abort();
      for (const r of readers) await r.close();
      try {
        await consumer.finish?.();
      } catch (e) {
        failure ??= e as Error;
      }
      out.flush();
      obj.close();
      if (summary.lost) log(`ecli: ${summary.lost} events were lost`);
    }
    if (failure) throw failure;
    return summary;
  });
}

/** The default consumer: decodes and prints every record and sampling round. */
export function printingConsumer(btf: Btf, format: OutputFormat, out: Output) {
  return (): EventConsumer => {
    const printers = new Map<ExportPlan, ReturnType<typeof makePrinter>>();
    let lastPlan: ExportPlan | undefined;
    let lastRecordAt: Printer["recordAt"];
    return {
      begin(plan) {
        const p = makePrinter(plan, btf, format, out);
        printers.set(plan, p);
        if (p.header) out.write(p.header);
      },
      record: (plan, bytes) => printers.get(plan)!.record!(bytes),
      recordAt(plan, view, offset, length) {
        // One export at a time is the common case: skip the map lookup then.
        if (plan !== lastPlan) {
          lastPlan = plan;
          lastRecordAt = printers.get(plan)!.recordAt!;
        }
        lastRecordAt!(view, offset, length);
      },
      sample: (plan, entries) => printers.get(plan)!.sample!(entries),
    };
  };
}

/** What `runPackage` adds to `startProgram`: signals, and the help/version flags. */
export type RunOptions = StartOptions;

/**
 * Runs a package to the end, as `ecli run` does: `--help`/`--version` print and return;
 * otherwise start it and wait for SIGINT, SIGTERM, `durationMs`, `count` or an error, then
 * detach everything. Errors are thrown after teardown.
 */
export async function runPackage(pkg: Package, opts: RunOptions = {}): Promise<RunSummary> {
  const info = programInfo(pkg, opts.programArgs ?? []);
  if (info !== undefined) {
    const out = opts.out ?? new FdOutput();
    out.write(info + "\n");
    out.flush();
    return { code: 0, events: 0, lost: 0 };
  }
  // Signals are caught from before the load: one that comes early still tears down cleanly.
  let prog: RunningProgram | undefined;
  let signalled = false;
  const onSignal = () => {
    signalled = true;
    prog?.stop();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  try {
    prog = startProgram(pkg, opts);
    if (signalled) prog.stop();
    return await prog.done;
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}

interface ReaderHooks {
  counted(): void;
  stopped(): boolean;
  lost(n: number): void;
  timeoutMs: number;
  flush(): void;
}

function makeReader(
  plan: ExportPlan,
  obj: BpfObject,
  consumer: EventConsumer,
  hooks: ReaderHooks,
): Reader {
  const map = obj.map(plan.map.name);
  if (plan.kind === "sample") {
    const sampler = new MapSampler(map, {
      interval: plan.map.sample!.interval,
      clear: plan.map.sample!.clear_map,
    });
    return {
      run: (signal) =>
        sampler.run((entries) => {
          if (hooks.stopped()) return;
          consumer.sample(plan, entries);
          hooks.flush();
          hooks.counted();
        }, signal),
      close: () => sampler.stop(),
    };
  }
  const onRecord = (bytes: Uint8Array) => {
    if (hooks.stopped()) return;
    consumer.record(plan, bytes);
    hooks.counted();
  };
  const poll = { timeoutMs: hooks.timeoutMs };
  const recordAt = consumer.recordAt;
  const onRecordAt = recordAt
    ? (view: DataView, offset: number, length: number) => {
      if (hooks.stopped()) return;
      recordAt.call(consumer, plan, view, offset, length);
      hooks.counted();
    }
    : undefined;
  const reader = plan.kind === "ringbuf"
    ? new RingBufferReader(map, onRecordAt ? { at: onRecordAt } : onRecord, poll)
    : new PerfBufferReader(map, (b) => onRecord(b), {
      ...poll,
      onLost: (n: number) => hooks.lost(n),
    });
  return {
    run: async (signal) => {
      // Flush what each drain printed, so a slow trickle of events shows up at once.
      const timer = setInterval(hooks.flush, 50);
      try {
        await reader.run(signal);
      } finally {
        clearInterval(timer);
      }
    },
    close: () => reader.close(),
  };
}
