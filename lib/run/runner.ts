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
import { BpfObject, type LogSink, type PerfSampling } from "../loader/mod.ts";
import type { Package } from "../package/mod.ts";
import { RunError } from "./errors.ts";
import { type ExportPlan, selectExports } from "./exports.ts";
import { FdOutput, type Output } from "./output.ts";
import { aborted, PauseGate, type Resume } from "./pause.ts";
import { makePrinter, type OutputFormat, type Printer } from "./printer.ts";
import { formatAttachTargets, resolveAttachTargets } from "./attach_targets.ts";
import { foldedConsumer, makeStackPrinter, stackResolverFor } from "./stacks.ts";
import { Symbolizer } from "../symbols/mod.ts";

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
  /**
   * Called before the ring space of the records given to `recordAt` since the last call goes
   * back to the kernel (at most every 1024 records, and after each drain): until it returns
   * they are still intact, so a consumer may batch them.
   */
  drained?(plan: ExportPlan): void;
  /**
   * False when `recordAt` allocates nothing per record for `plan` (called after `begin`): the
   * ring reader then skips the runtime's young collections. Default: it may allocate.
   */
  allocates?(plan: ExportPlan): boolean;
  /** One sampling round of a sampled map. */
  sample(plan: ExportPlan, entries: SampledEntry[]): void;
  /** `n` records the kernel reported lost (perf buffer full). */
  lost?(plan: ExportPlan, n: number): void;
  /** The export's reader woke (a poll of a ring/perf buffer, a sampling round). */
  polled?(plan: ExportPlan): void;
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
  /** Run-time attach targets, `PROG=TARGET` each (libbpf's section syntax). */
  attach?: readonly string[];
  /** The process uprobes and USDT probes fire for (default: every process). */
  pid?: number;
  /** Sampling of `perf_event` programs (over their `@perf` annotation). */
  perf?: Partial<PerfSampling>;
  /** Print the stacks of stack-trace exports folded, once at the end (flame graphs). */
  folded?: boolean;
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
  /** The maps whose data the run delivers (always set by `startProgram`). */
  plans?: ExportPlan[];
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
  /** Delivers what the buffer holds now (at most `budget` records), without waiting. */
  drain?(budget: number): number;
  close(): Promise<void> | void;
}

/** Records a stopping run still delivers from each buffer: what was there at Ctrl-C. */
const FINAL_DRAIN = 1 << 20;

/** A package attached in the kernel, delivering events until stopped. */
export class RunningProgram {
  /** The events delivered and lost so far. */
  readonly summary: RunSummary = { code: 0, events: 0, lost: 0 };
  /** Resolves after teardown (rejects with the error that ended the run, if any). */
  readonly done: Promise<RunSummary>;
  #stop: AbortController;
  #gate: PauseGate;
  #ended = false;

  /** @internal Use `startProgram`. */
  constructor(
    readonly object: BpfObject,
    readonly args: Record<string, unknown>,
    stop: AbortController,
    gate: PauseGate,
    run: (self: RunningProgram) => Promise<RunSummary>,
  ) {
    this.#stop = stop;
    this.#gate = gate;
    this.done = run(this);
    this.done.finally(() => this.#ended = true).catch(() => {});
    // Whoever holds the program decides what to do with a failure; never an unhandled one.
    this.done.catch(() => {});
  }

  /** The object's name. */
  get name(): string {
    return this.object.name;
  }

  /** Whether the programs are detached by `pause()`. */
  get paused(): boolean {
    return this.#gate.paused;
  }

  #live(what: string): void {
    if (this.#ended || this.#stop.signal.aborted) {
      throw new RunError(`cannot ${what} '${this.name}': it has ended`);
    }
  }

  /**
   * Detaches the programs (the object, its maps and programs stay loaded) and stops reading
   * the exports once what they hold is delivered. Resolves when polling has stopped; a no-op
   * when already paused.
   */
  async pause(): Promise<void> {
    this.#live("pause");
    if (this.#gate.paused) return;
    // Detached first: the readers' last drain then sees every event there will be.
    this.object.detach();
    await this.#gate.pause();
  }

  /**
   * Makes new export readers and attaches the programs again; resolves once attached. A failed
   * re-attach ends the run (`done` rejects with it) and rejects here too.
   */
  async resume(): Promise<void> {
    this.#live("resume");
    if (!this.#gate.paused) return;
    await this.#gate.resume();
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

/**
 * The help or version text when the program flags ask for it, else undefined; `command` is
 * the usage line's command (default `ecli run <package>`).
 */
export function programInfo(
  pkg: Package,
  programArgs: string[],
  command?: string,
): string | undefined {
  const { btf } = readBpfObject(pkg.object);
  const flags = programFlags(pkg.meta, btf);
  const parsed = parseProgramArgs(flags, programArgs);
  if (parsed.help) {
    return formatProgramHelp(pkg.meta, flags, command) + formatAttachTargets(pkg.meta);
  }
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
    const targets = resolveAttachTargets(
      meta,
      opts.attach ?? [],
      (p) => obj.programSection(p),
      opts.pid,
    );
    obj.load();
    obj.attach((name) => ({ target: targets.get(name), pid: opts.pid, perf: opts.perf }));
    const makeConsumer = opts.consumer ??
      (opts.folded ? foldedConsumer : printingConsumer(btf, opts.format ?? "plain", out));
    consumer = makeConsumer({
      meta,
      btf,
      object: obj,
      args,
      out,
      plans,
      stop: halt,
    });
  } catch (e) {
    obj.close();
    throw e;
  }

  const gate = new PauseGate();
  return new RunningProgram(obj, args, stop, gate, async (self) => {
    const summary = self.summary;
    const limit = opts.count ?? Infinity;
    // A stop (Ctrl-C, SIGTERM, --duration) still delivers what the buffers hold then; a stop
    // by --count or by a failure delivers nothing more.
    let draining = false;
    const counted = () => {
      if (++summary.events >= limit) stop.abort();
    };
    const hooks = (plan: ExportPlan): ReaderHooks => ({
      counted,
      stopped: () =>
        stop.signal.aborted && !(draining && failure === undefined && summary.events < limit),
      lost: (n) => {
        summary.lost += n;
        consumer.lost?.(plan, n);
        log(`ecli: lost ${n} events (perf buffer of '${plan.map.name}' full)`);
      },
      timeoutMs: meta.poll_timeout_ms,
      polled: consumer.polled && (() => consumer.polled!(plan)),
      flush: () => out.flush(),
    });
    const timer = opts.durationMs !== undefined
      ? setTimeout(() => halt(), opts.durationMs)
      : undefined;
    opts.signal?.addEventListener("abort", () => halt(), { once: true });
    // Readers made for the next round and not run yet (closed at the end if never used).
    let next: Reader[] | undefined;
    try {
      for (const plan of plans) consumer.begin?.(plan);
      // The handler's start() runs before "attached" is announced: whatever it sets up (a
      // filter map, say) is in place before anyone relies on the run.
      await consumer.start?.();
      out.flush();
      const makeReaders = () => plans.map((plan) => makeReader(plan, obj, consumer, hooks(plan)));
      // The first round's readers exist before "attached" is announced: a perf buffer drops
      // what is sent before its rings exist, and whoever waits for the line then triggers.
      next = makeReaders();
      const n = obj.attachments.length;
      const what = plans.map((p) => `${p.map.name} (${p.kind})`).join(", ") || "no export map";
      log(
        `ecli: ${obj.name}: ${n} program${
          n === 1 ? "" : "s"
        } attached, printing ${what}; Ctrl-C to stop`,
      );
      // One round of readers per attached period: pause ends a round, resume starts the next.
      let resume: Resume | undefined;
      while (!stop.signal.aborted) {
        const round = AbortSignal.any([stop.signal, gate.round]);
        const readers: Reader[] = next ?? [];
        next = undefined;
        try {
          if (readers.length === 0) readers.push(...makeReaders());
          if (resume) {
            // Readers first: a perf buffer drops what is sent before its rings exist.
            try {
              obj.attach();
              resume.resolve();
            } catch (e) {
              resume.reject(e as Error);
              throw e;
            }
          }
          await Promise.race([aborted(round), ...readers.map((r) => r.run(round))]);
        } finally {
          if (stop.signal.aborted && failure === undefined) {
            draining = true;
            try {
              for (const r of readers) r.drain?.(FINAL_DRAIN);
            } catch (e) {
              failure ??= e as Error;
            }
            draining = false;
          }
          for (const r of readers) await r.close();
          out.flush();
          gate.roundEnded();
        }
        resume = await gate.waitResume(stop.signal);
        if (!resume) break;
      }
    } catch (e) {
      failure ??= e as Error;
    } finally {
      clearTimeout(timer);
      stop.abort();
      for (const r of next ?? []) await r.close();
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
  return (setup?: Pick<ConsumerSetup, "object">): EventConsumer => {
    const printers = new Map<ExportPlan, ReturnType<typeof makePrinter>>();
    let lastPlan: ExportPlan | undefined;
    let lastRecordAt: Printer["recordAt"];
    let symbols: Symbolizer | undefined;
    return {
      begin(plan) {
        // Maps with upstream's stack_trace interpreter print symbolised stacks instead.
        const stacks = setup &&
          stackResolverFor(plan, setup.object, symbols ??= new Symbolizer());
        const p = stacks
          ? makeStackPrinter(plan, btf, format, out, stacks)
          : makePrinter(plan, btf, format, out);
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
      allocates: (plan) => printers.get(plan)?.allocates ?? true,
      sample: (plan, entries) => printers.get(plan)!.sample!(entries),
    };
  };
}

/** What `runPackage` adds to `startProgram`: signals, and the help/version flags. */
export interface RunOptions extends StartOptions {
  /** The command `--help`'s usage line shows (default `ecli run <package>`). */
  helpCommand?: string;
}

/**
 * Runs a package to the end, as `ecli run` does: `--help`/`--version` print and return;
 * otherwise start it and wait for SIGINT, SIGTERM, `durationMs`, `count` or an error, then
 * detach everything. Errors are thrown after teardown.
 */
export async function runPackage(pkg: Package, opts: RunOptions = {}): Promise<RunSummary> {
  const info = programInfo(pkg, opts.programArgs ?? [], opts.helpCommand);
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
  // Ctrl-Z toggles pause and resume, as upstream's loader does, instead of stopping ecli.
  const log = opts.log ?? ((line: string) => console.error(line));
  const onTstp = () => {
    const p = prog;
    if (!p) return;
    const resume = p.paused;
    (resume ? p.resume() : p.pause()).then(
      () =>
        log(
          resume
            ? `ecli: ${p.name}: resumed, programs attached again`
            : `ecli: ${p.name}: paused, programs detached; Ctrl-Z again to resume`,
        ),
      (e) => log(`ecli: ${p.name}: cannot ${resume ? "resume" : "pause"}: ${e.message}`),
    );
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  process.on("SIGTSTP", onTstp);
  try {
    prog = startProgram(pkg, opts);
    if (signalled) prog.stop();
    return await prog.done;
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    process.off("SIGTSTP", onTstp);
  }
}

interface ReaderHooks {
  counted(): void;
  stopped(): boolean;
  lost(n: number): void;
  timeoutMs: number;
  flush(): void;
  polled?: () => void;
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
          hooks.polled?.();
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
  const poll = { timeoutMs: hooks.timeoutMs, onPoll: hooks.polled };
  const recordAt = consumer.recordAt;
  const onRecordAt = recordAt
    ? (view: DataView, offset: number, length: number) => {
      if (hooks.stopped()) return;
      recordAt.call(consumer, plan, view, offset, length);
      hooks.counted();
    }
    : undefined;
  const drained = consumer.drained;
  const flush = drained ? () => drained.call(consumer, plan) : undefined;
  const allocates = consumer.allocates?.(plan) ?? true;
  const reader = plan.kind === "ringbuf"
    ? new RingBufferReader(
      map,
      onRecordAt ? { at: onRecordAt, flush, allocates } : onRecord,
      poll,
    )
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
    drain: (budget) => {
      const n = reader.drain(budget);
      flush?.();
      return n;
    },
    close: () => reader.close(),
  };
}
