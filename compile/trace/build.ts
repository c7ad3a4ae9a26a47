/**
 * A trace built: probes resolved, the `--filter` split into what the kernel checks and what
 * stays in TypeScript, the C generated and compiled by ecc through the build cache (keyed by
 * the generated C, so the same probes and options never run clang twice).
 * @module
 */
import { buildSource, type ScriptBuild } from "../script.ts";
import { kernelFilter } from "./filter.ts";
import { type Probe, resolveProbes } from "./probe.ts";
import { intFields, type TraceEvent, traceEvent, type TraceMode, traceProgram } from "./program.ts";
import { TraceError } from "./errors.ts";

/** Options of `buildTrace`. */
export interface TraceOptions {
  /** What passing events become (default: events to the handler or the table). */
  mode?: TraceMode;
  /** The `--filter` expression. */
  filter?: string;
  /** Sampling period of aggregations in ms. */
  intervalMs?: number;
  /** Commands run, for `--verbose`. */
  log?: (line: string) => void;
}

/** A built trace. */
export interface TraceBuild {
  /** The probes, wildcards expanded. */
  probes: Probe[];
  /** The event layout. */
  event: TraceEvent;
  /** The generated C. */
  source: string;
  /** The C condition the kernel checks, when the whole filter compiled to one. */
  kernelFilter?: string;
  /** The filter left to TypeScript (the whole expression, when it did not compile). */
  userFilter?: string;
  /** The package (and its generated `.d.ts`). */
  build: ScriptBuild;
}

/** Resolves, generates and compiles the trace of probe specs `specs`. */
export async function buildTrace(specs: string[], opts: TraceOptions = {}): Promise<TraceBuild> {
  if (specs.length === 0) {
    throw new TraceError("no probe given (e.g. tracepoint:syscalls:sys_enter_openat)");
  }
  const probes = resolveProbes(specs);
  const event = traceEvent(probes);
  const mode = opts.mode ?? { kind: "events" };
  const cond = opts.filter === undefined ? undefined : kernelFilter(opts.filter, {
    ints: intFields(event),
    all: event.fields.map((f) => f.name),
  });
  if (opts.filter !== undefined && cond === undefined && mode.kind !== "events") {
    throw new TraceError(
      `--filter '${opts.filter}' cannot run in the kernel, and --${
        mode.kind === "count" ? "count-by" : "hist"
      } counts there: use comparisons of integer fields with integers (e.g. 'e.pid == 42 && e.ret < 0')`,
    );
  }
  const source = traceProgram(probes, { mode, filter: cond, intervalMs: opts.intervalMs });
  const build = await buildSource(source, { name: "trace", log: opts.log, vmlinux: false });
  return {
    probes,
    event,
    source,
    kernelFilter: cond,
    userFilter: cond === undefined ? opts.filter : undefined,
    build,
  };
}
