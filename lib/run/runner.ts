import process from "node:process";
import { readBpfObject } from "../btf/mod.ts";
import {
  formatProgramHelp,
  formatProgramVersion,
  parseProgramArgs,
  programFlags,
  variableImages,
} from "../args/mod.ts";
import { MapSampler, PerfBufferReader, RingBufferReader } from "../export/mod.ts";
import { BpfObject, type LogSink } from "../loader/mod.ts";
import type { Package } from "../package/mod.ts";
import { RunError } from "./errors.ts";
import { type ExportPlan, selectExports } from "./exports.ts";
import { FdOutput, type Output } from "./output.ts";
import { makePrinter, type OutputFormat } from "./printer.ts";

/** How a package runs. */
export interface RunOptions {
  /** The program's own flags (generated from its variables). */
  programArgs?: string[];
  /** Output format (default plain text). */
  format?: OutputFormat;
  /** libbpf debug output and the verifier log. */
  verbose?: boolean;
  /** Stop after this many ms. */
  durationMs?: number;
  /** Stop after this many events (records, or sampling rounds of a sampled map). */
  count?: number;
  /** Where events go (default: buffered stdout). */
  out?: Output;
  /** Diagnostics (default: stderr). */
  log?: (line: string) => void;
  /** Ends the run when aborted (SIGINT/SIGTERM always do). */
  signal?: AbortSignal;
}

/** What a run did. */
export interface RunSummary {
  /** Exit code for the CLI. */
  code: number;
  /** Events printed. */
  events: number;
  /** Events the kernel reported lost. */
  lost: number;
}

interface Reader {
  run(signal?: AbortSignal): Promise<void>;
  close(): Promise<void> | void;
}

/**
 * Runs a package: parses its flags, opens it in libbpf with the flag values written into its
 * data sections, loads and attaches it, prints its events until a signal, `durationMs`,
 * `count` or an error, then detaches everything. Errors are thrown after teardown.
 */
export async function runPackage(pkg: Package, opts: RunOptions = {}): Promise<RunSummary> {
  const log = opts.log ?? ((line: string) => console.error(line));
  const out = opts.out ?? new FdOutput();
  const { meta } = pkg;
  const { btf } = readBpfObject(pkg.object);
  const flags = programFlags(meta, btf);
  const parsed = parseProgramArgs(flags, opts.programArgs ?? []);
  if (parsed.help || parsed.version) {
    out.write((parsed.help ? formatProgramHelp(meta, flags) : formatProgramVersion(meta)) + "\n");
    out.flush();
    return { code: 0, events: 0, lost: 0 };
  }
  const verbose = opts.verbose || parsed.verbose;
  const images = variableImages(flags, parsed.values, btf);
  const libbpfLog: LogSink = (level, line) =>
    log(`libbpf: ${level === "warn" ? "warning: " : ""}${line}`);
  const obj = BpfObject.open(pkg, { log: libbpfLog, verbose });
  const readers: Reader[] = [];
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  let events = 0;
  let lost = 0;
  try {
    const known = new Set(obj.maps().map((m) => m.name));
    for (const m of meta.bpf_skel.maps) {
      if (!known.has(m.name)) {
        throw new RunError(`map '${m.name}' named in the package meta is not in the BPF object`);
      }
    }
    obj.setVariables(images);
    const plans = selectExports(meta, btf, (name) => obj.map(name).type, log);
    obj.load();
    obj.attach();

    const limit = opts.count ?? Infinity;
    const counted = () => {
      if (++events >= limit) stop.abort();
    };
    for (const plan of plans) {
      readers.push(makeReader(plan, obj, btf, opts.format ?? "plain", out, {
        counted,
        stopped: () => stop.signal.aborted,
        lost: (n) => {
          lost += n;
          log(`ecli: lost ${n} events (perf buffer of '${plan.map.name}' full)`);
        },
        timeoutMs: meta.poll_timeout_ms,
        flush: () => out.flush(),
      }));
    }
    out.flush();

    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
    opts.signal?.addEventListener("abort", onSignal, { once: true });
    const timer = opts.durationMs !== undefined ? setTimeout(onSignal, opts.durationMs) : undefined;
    const what = plans.map((p) => `${p.map.name} (${p.kind})`).join(", ") || "no export map";
    log(
      `ecli: ${obj.name}: ${obj.attachments.length} programs attached, printing ${what}; Ctrl-C to stop`,
    );
    const done = new Promise<void>((resolve) =>
      stop.signal.addEventListener("abort", () => resolve(), { once: true })
    );
    try {
      await Promise.race([done, ...readers.map((r) => r.run(stop.signal))]);
    } finally {
      clearTimeout(timer);
      stop.abort();
    }
    return { code: 0, events, lost };
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    for (const r of readers) await r.close();
    out.flush();
    obj.close();
    if (lost) log(`ecli: ${lost} events were lost`);
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
  btf: ReturnType<typeof readBpfObject>["btf"],
  format: OutputFormat,
  out: Output,
  hooks: ReaderHooks,
): Reader {
  const printer = makePrinter(plan, btf, format, out);
  if (printer.header) out.write(printer.header);
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
          printer.sample!(entries);
          hooks.flush();
          hooks.counted();
        }, signal),
      close: () => sampler.stop(),
    };
  }
  const onRecord = (bytes: Uint8Array) => {
    if (hooks.stopped()) return;
    printer.record!(bytes);
    hooks.counted();
  };
  const poll = { timeoutMs: hooks.timeoutMs };
  const reader = plan.kind === "ringbuf"
    ? new RingBufferReader(map, onRecord, poll)
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
