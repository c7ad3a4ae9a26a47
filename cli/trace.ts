/**
 * `ecli trace <probe>... [OPTIONS]`: argument parsing of the trace command. The probes become
 * a generated package (compile/trace), run by `ecli run`'s own path (`run`), so `-e`,
 * `--handler`, `--fields`, `--format`, `--exec`, `--duration` … work as they do there.
 * @module
 */
import { copyFileSync, readFileSync } from "node:fs";
import type { Package } from "../lib/package/mod.ts";
import type { HandlerObject } from "../lib/handler/mod.ts";

/** The usage text of `ecli trace`. */
export const TRACE_USAGE =
  `Usage: ecli trace <PROBE>... [-e CODE | --handler FILE] [--filter EXPR] [OPTIONS]
       ecli trace --list [PATTERN]

Traces kernel probes with no C to write: the events carry the probe's typed fields (from
tracefs or the kernel's BTF) and the task's ts, pid, tid and comm.

Probes (wildcards * and ? where the kernel lists the targets):
  tracepoint:CATEGORY:NAME   fields from the tracepoint's format (char * and __data_loc
                             strings are read as strings)
  fentry:FUNC  fexit:FUNC    arguments (and ret) typed from the function's BTF prototype
  kprobe:FUNC  kretprobe:FUNC  the same through kprobes (kretprobe: ret only)
  uprobe:PATH:SYMBOL  uretprobe:PATH:SYMBOL  arg0..arg4 (u64), ret

Options:
  -e, --eval <CODE>      handler code per event (e, ctx, emit, …), as in ecli run
      --handler <FILE>   a handler module (types: --types FILE)
      --filter <EXPR>    comparisons of integer fields with integers (&&, ||, !) run in the
                         kernel; any other TypeScript expression over e filters in user space
      --count-by <FIELD> count events per value of FIELD in the kernel, print every interval
      --hist <FIELD>     log2 histogram of FIELD in the kernel, print every interval
      --interval <S>     seconds between prints of --count-by/--hist (default 1)
      --types <FILE>     write the events' TypeScript types to FILE and exit
      --list [PATTERN]   list probes and their fields (e.g. 'tracepoint:syscalls:*open*',
                         'fentry:do_sys_open*')
  Also ecli run's: --fields, --format, --exec, -P, --output, --duration, --count, -j,
  --on-error, --queue, --verbose.`;

/** What `ecli run` needs of a trace: the package, a built-in handler and a name for messages. */
export interface TraceRun {
  /** The generated package. */
  pkg: Package;
  /** The aggregation's printer, when there is one. */
  handler?: HandlerObject;
  /** The command's name in messages. */
  name: string;
}

/** `ecli run`'s options that take a value: their values are never probes. */
const RUN_VALUE_OPTIONS = new Set([
  "--duration",
  "--count",
  "--handler",
  "--queue",
  "-e",
  "--eval",
  "--exec",
  "--output",
  "-P",
  "--max-procs",
  "--fields",
  "--format",
  "--on-error",
]);

class TraceUsageError extends Error {}

interface TraceArgs {
  probes: string[];
  runArgs: string[];
  filter?: string;
  countBy?: string;
  hist?: string;
  interval: number;
  types?: string;
  list?: string | true;
  help: boolean;
}

function parseTraceArgs(args: string[]): TraceArgs {
  const t: TraceArgs = { probes: [], runArgs: [], interval: 1, help: false };
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    const eq = a.startsWith("--") ? a.indexOf("=") : -1;
    const name = eq > 0 ? a.slice(0, eq) : a;
    const value = () => {
      const v = eq > 0 ? a.slice(eq + 1) : args[++i];
      if (v === undefined) throw new TraceUsageError(`${name} needs a value`);
      return v;
    };
    if (name === "-h" || name === "--help") t.help = true;
    else if (name === "--filter") t.filter = value();
    else if (name === "--count-by") t.countBy = value();
    else if (name === "--hist") t.hist = value();
    else if (name === "--types") t.types = value();
    else if (name === "--interval") {
      const v = value();
      t.interval = Number(v);
      if (!(t.interval > 0)) {
        throw new TraceUsageError(`--interval needs a positive number, got '${v}'`);
      }
    } else if (name === "--list") {
      t.list = args[i + 1] !== undefined && !args[i + 1].startsWith("-") ? args[++i] : true;
    } else if (RUN_VALUE_OPTIONS.has(name)) {
      t.runArgs.push(a);
      if (eq < 0 && i + 1 < args.length) t.runArgs.push(args[++i]);
    } else if (a.startsWith("-")) t.runArgs.push(a);
    else t.probes.push(a);
  }
  return t;
}

/**
 * Runs `ecli trace ARGS`: lists probes, writes types, or builds the trace and hands it to
 * `run` (ecli run's main, with the remaining run options). Returns the exit code.
 */
export async function traceMain(
  args: string[],
  run: (args: string[], trace: TraceRun) => Promise<number>,
): Promise<number> {
  const t = parseTraceArgs(args);
  if (t.help) {
    console.log(TRACE_USAGE);
    return 0;
  }
  const trace = await import("../compile/trace/mod.ts");
  if (t.list !== undefined) {
    const text = trace.listProbes(t.list === true ? undefined : t.list);
    if (text === "") throw new trace.TraceError(`no probe matches '${t.list}'`);
    console.log(text.replace(/\n$/, ""));
    return 0;
  }
  if (t.countBy !== undefined && t.hist !== undefined) {
    throw new TraceUsageError("--count-by and --hist are alternatives; give one");
  }
  const aggregate = t.countBy ?? t.hist;
  if (aggregate !== undefined) {
    const own = t.runArgs.find((a) =>
      ["-e", "--eval", "--handler", "--fields", "--exec"].includes(a.replace(/=.*/, ""))
    );
    if (own) {
      throw new TraceUsageError(
        `${
          t.countBy !== undefined ? "--count-by" : "--hist"
        } prints its own output: it does not go with ${own}`,
      );
    }
  }
  await kernelCanProbe(t.probes);
  const verbose = t.runArgs.includes("--verbose");
  const built = await trace.buildTrace(t.probes, {
    filter: t.filter,
    mode: t.countBy !== undefined
      ? { kind: "count", field: t.countBy }
      : t.hist !== undefined
      ? { kind: "hist", field: t.hist }
      : { kind: "events" },
    log: verbose ? (l) => console.error(l) : undefined,
  });
  if (verbose) {
    console.error(
      `ecli: trace package ${built.build.package}${built.build.cached ? " (cached)" : ""}; ` +
        `filter ${
          built.kernelFilter
            ? `in the kernel: ${built.kernelFilter}`
            : built.userFilter
            ? "in TypeScript"
            : "none"
        }`,
    );
  }
  if (t.types !== undefined) {
    copyFileSync(built.build.types, t.types);
    console.error(`ecli: wrote ${t.types}`);
    return 0;
  }
  const { decodePackageText } = await import("../lib/package/mod.ts");
  const pkg = await decodePackageText(
    readFileSync(built.build.package, "utf8"),
    built.build.package,
  );
  for (const m of pkg.meta.bpf_skel.maps) if (m.sample) m.sample.interval = t.interval * 1000;
  const { countsHandler, histHandler } = await import("../lib/trace/mod.ts");
  const runFormat = t.runArgs.includes("-j") || t.runArgs.includes("--json") ||
    t.runArgs.some((a, i) =>
      (a === "--format" && t.runArgs[i + 1] !== "table") || /^--format=(?!table$)/.test(a)
    );
  const handler = t.countBy !== undefined
    ? countsHandler(t.countBy, !runFormat)
    : t.hist !== undefined
    ? histHandler(t.hist, !runFormat)
    : undefined;
  const runArgs = [
    ...t.runArgs,
    ...(built.userFilter !== undefined ? ["--filter", built.userFilter] : []),
  ];
  try {
    return await run(runArgs, { pkg, handler, name: "ecli trace" });
  } catch (e) {
    throw await withAlternative(e as Error, built.probes.map((p) => p.label));
  }
}

/**
 * A load failure because the kernel refuses fentry/fexit, said as the probe that needs it and
 * what to use instead (kprobes when the kernel has them, else tracepoints).
 */
async function withAlternative(e: Error, probes: string[]): Promise<Error> {
  const { hasKprobes, missingKernelSupport } = await import("../lib/loader/mod.ts");
  const why = missingKernelSupport("fentry/x", 1);
  const probe = probes.find((p) => /^f(entry|exit):/.test(p));
  if (!probe || !why || !e.message.endsWith(why)) return e;
  const fn = probe.slice(probe.indexOf(":") + 1);
  const instead = hasKprobes()
    ? `try ${probe.startsWith("fexit") ? "kretprobe" : "kprobe"}:${fn}`
    : "this kernel has no kprobes either: use tracepoints (ecli trace --list 'tracepoint:*')";
  return new TraceUsageError(`${probe}: ${why}; ${instead}`);
}

/** A probe kind this kernel lacks, said before anything is built. */
async function kernelCanProbe(probes: string[]): Promise<void> {
  const { missingKernelSupport } = await import("../lib/loader/mod.ts");
  for (const p of probes) {
    const m = /^(k|kprobe|kr|kretprobe):(.*)$/.exec(p);
    const why = m && missingKernelSupport(`kprobe/${m[2]}`, 0);
    if (why) {
      throw new TraceUsageError(
        `${p}: ${why}; try ${m[1].startsWith("kr") ? "fexit" : "fentry"}:${m[2]}`,
      );
    }
  }
}
