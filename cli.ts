/**
 * Command line: `ecli run|compile|info …`, and `ecc …` (the same as `ecli compile …`).
 * Parses arguments and calls mod.ts; every failure is one `error:` line and exit code 1.
 * @module
 */
import { parseArgs } from "node:util";
import { basename } from "node:path";
import process from "node:process";
import { VERSION } from "./version.ts";

const ECC_USAGE = `Usage: ecc [OPTIONS] <SOURCE_PATH> [EXPORT_EVENT_HEADER]

Compile an eBPF C source into an eunomia package (package.json).

Arguments:
  <SOURCE_PATH>          the .bpf.c file; its name up to the first '.' names the outputs
  [EXPORT_EVENT_HEADER]  header whose structs become the package's export types

Options:
  -o, --output-path <DIR>         output directory (default: the source's directory)
  -y, --yaml                      write <name>.skel.yaml and package.yaml
  -a, --additional-cflags <FLAG>  extra clang argument (repeatable)
  -c, --clang-bin <PATH>          clang to use (default: clang)
  -l, --llvm-strip-bin <PATH>     strip DWARF with this llvm-strip (default: built in)
      --header-only               compile the header alone (export its types)
  -n, --no-generate-package-json  write only <name>.bpf.o and <name>.skel.json
  -v, --verbose                   print the commands run
  -h, --help                      print this help
  -V, --version                   print the version`;

const ECLI_USAGE = `Usage: ecli <COMMAND> [ARGS]

Commands:
  run [OPTIONS] <package> [PROGRAM FLAGS]       load, attach and print the package's events
  compile [OPTIONS] <prog.bpf.c> [<event.h>]   compile into a package (same as ecc)
  info <package.json|package.yaml|URL|->       summarise a package: programs, maps, flags, events
  cleanup                                      remove tc filters/XDP programs killed runs left

Options:
  -h, --help       print this help
  -V, --version    print the version`;

/** `-a -DX` means "pass -DX to clang"; parseArgs would read `-DX` as another option. */
function joinHyphenValues(args: string[], names: string[], long: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if (names.includes(args[i]) && i + 1 < args.length) out.push(`--${long}=${args[++i]}`);
    else out.push(args[i]);
  }
  return out;
}

async function eccMain(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: joinHyphenValues(args, ["-a", "--additional-cflags"], "additional-cflags"),
    allowPositionals: true,
    options: {
      "output-path": { type: "string", short: "o" },
      yaml: { type: "boolean", short: "y" },
      "additional-cflags": { type: "string", short: "a", multiple: true },
      "clang-bin": { type: "string", short: "c" },
      "llvm-strip-bin": { type: "string", short: "l" },
      "header-only": { type: "boolean" },
      "no-generate-package-json": { type: "boolean", short: "n" },
      verbose: { type: "boolean", short: "v" },
      help: { type: "boolean", short: "h" },
      version: { type: "boolean", short: "V" },
    },
  });
  if (values.help) return print(ECC_USAGE);
  if (values.version) return print(`ecc (ecli-ts) ${VERSION}`);
  if (positionals.length < 1 || positionals.length > 2) {
    throw new UsageError(
      positionals.length ? `unexpected argument '${positionals[2]}'` : "missing <SOURCE_PATH>",
    );
  }
  const verbose = !!values.verbose;
  // Loaded per command: start-up time is part of every compile.
  const { compile } = await import("./compile/mod.ts");
  const result = await compile({
    source: positionals[0],
    exportHeader: positionals[1],
    outputDir: values["output-path"],
    yaml: values.yaml,
    cflags: values["additional-cflags"],
    clang: values["clang-bin"],
    llvmStrip: values["llvm-strip-bin"],
    headerOnly: values["header-only"],
    noPackage: values["no-generate-package-json"],
    log: verbose ? (l) => console.error(l) : undefined,
  });
  const out = result.files.package ?? result.files.skeleton;
  console.error(`ecc: wrote ${out} (object ${result.object.length} bytes)`);
  return 0;
}

const RUN_USAGE = `Usage: ecli run [OPTIONS] <package.json|package.yaml|URL|-> [PROGRAM FLAGS]

Loads the package into the kernel, attaches its programs and prints its events until Ctrl-C.
Program flags come from the program's variables: 'ecli run <package> --help' lists them.

Options (before or after the package; '--' ends them):
  -j, --json            print one JSON object per event
      --verbose         show libbpf debug output and the verifier log
      --duration <S>    stop after S seconds
      --count <N>       stop after N events
      --handler <FILE>  hand events to FILE's default export (TypeScript, no build step)
  -e, --eval <CODE>     inline handler: CODE runs per event with e, ctx, emit, stop, args, maps
      --on-error <stop|continue>  what a handler exception does (default: stop, exit 1)
      --queue <N>       events held while an async handler awaits (default 10000);
                        more are dropped and counted
  -h, --help            print this help`;

/** ecli's own options of `run`; everything else after the package goes to the program. */
interface RunArgs {
  pkg?: string;
  json: boolean;
  verbose: boolean;
  duration?: number;
  count?: number;
  handler?: string;
  evalCode?: string;
  onError?: "stop" | "continue";
  queue?: number;
  help: boolean;
  programArgs: string[];
}

function positiveNumber(flag: string, text: string | undefined, integer: boolean): number {
  const n = Number(text);
  if (text === undefined || text.trim() === "" || !(n > 0) || (integer && !Number.isInteger(n))) {
    throw new UsageError(
      `${flag} needs a positive ${integer ? "integer" : "number"}, got '${text ?? ""}'`,
    );
  }
  return n;
}

function required(flag: string, text: string | undefined): string {
  if (text === undefined) throw new UsageError(`${flag} needs a value`);
  return text;
}

function splitRunArgs(args: string[]): RunArgs {
  const r: RunArgs = { json: false, verbose: false, help: false, programArgs: [] };
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    const [name, inline] = a.startsWith("--") && a.includes("=")
      ? [a.slice(0, a.indexOf("=")), a.slice(a.indexOf("=") + 1)]
      : [a, undefined];
    const value = () => inline ?? args[++i];
    if (a === "--") {
      r.programArgs.push(...args.slice(i + 1));
      break;
    } else if (name === "-j" || name === "--json") r.json = true;
    else if (name === "--verbose") {
      r.verbose = true;
    } else if (name === "--duration") r.duration = positiveNumber("--duration", value(), false);
    else if (name === "--count") r.count = positiveNumber("--count", value(), true);
    else if (name === "--handler") r.handler = required("--handler", value());
    else if (name === "--queue") r.queue = positiveNumber("--queue", value(), true);
    else if (name === "-e" || name === "--eval") r.evalCode = required(name, value());
    else if (name === "--on-error") {
      const v = value();
      if (v !== "stop" && v !== "continue") {
        throw new UsageError(`--on-error takes stop or continue, got '${v ?? ""}'`);
      }
      r.onError = v;
    } else if (r.pkg === undefined) {
      if (a === "-h" || a === "--help") r.help = true;
      else if (a.startsWith("-") && a !== "-") {
        throw new UsageError(`unknown option '${a}' (program flags go after the package)`);
      } else r.pkg = a;
    } else r.programArgs.push(a);
  }
  return r;
}

async function runMain(args: string[]): Promise<number> {
  const r = splitRunArgs(args);
  if (r.help) return print(RUN_USAGE);
  if (r.pkg === undefined) throw new UsageError("missing <package>");
  if (r.handler !== undefined && r.evalCode !== undefined) {
    throw new UsageError("--handler and -e are alternatives; give one");
  }
  const { evalHandler, handlerConsumer, loadHandler, loadPackage, mapHandles, runPackage } =
    await import("./mod.ts");
  const pkg = await loadPackage(r.pkg);
  // The handler loads before anything is attached: a broken module costs nothing.
  const handler = r.handler !== undefined
    ? await loadHandler(r.handler)
    : r.evalCode !== undefined
    ? await evalHandler(r.evalCode)
    : undefined;
  const format = r.json ? "json" : "plain";
  const log = (line: string) => console.error(line);
  const summary = await runPackage(pkg, {
    programArgs: r.programArgs,
    format,
    verbose: r.verbose,
    durationMs: r.duration !== undefined ? r.duration * 1000 : undefined,
    count: r.count,
    log,
    consumer: handler &&
      handlerConsumer(handler, {
        format,
        onError: r.onError,
        queueLimit: r.queue,
        log,
        maps: mapHandles,
      }),
  });
  return summary.code;
}

async function infoMain(args: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args,
    allowPositionals: true,
    options: { help: { type: "boolean", short: "h" } },
  });
  if (values.help) return print("Usage: ecli info <package.json|package.yaml|URL|->");
  if (positionals.length !== 1) throw new UsageError("expected one package");
  const { describePackage, loadPackage } = await import("./mod.ts");
  console.log(describePackage(await loadPackage(positionals[0]), positionals[0]));
  return 0;
}

/** `ecli cleanup`: what killed runs left attached through netlink, removed; one line each. */
async function cleanupMain(args: string[]): Promise<number> {
  if (args.length) throw new UsageError(`cleanup takes no arguments, got '${args[0]}'`);
  const { removeLeftovers } = await import("./mod.ts");
  const r = removeLeftovers();
  for (const l of r.removed) console.log(`removed ${l}`);
  for (const l of r.skipped) console.log(`skipped ${l}`);
  for (const l of r.failed) console.error(`ecli: error: ${l}`);
  if (!r.removed.length && !r.skipped.length && !r.failed.length) {
    console.log("nothing to clean up");
  }
  return r.failed.length ? 1 : 0;
}

/** A command-line mistake: printed with a pointer to --help. */
class UsageError extends Error {}

function print(text: string): number {
  console.log(text);
  return 0;
}

/**
 * `ecc` when run under that name: the executable through a symlink `ecc -> ecli` (argv0), or a
 * script named `ecc…` (argv[1]); otherwise `ecli`.
 */
function invokedAs(): "ecc" | "ecli" {
  const names = [process.argv0, process.argv[1]].map((n) => basename(n ?? ""));
  return names.some((n) => n === "ecc" || n.startsWith("ecc.")) ? "ecc" : "ecli";
}

/** `ecli --version`: ours, and the libbpf in use (`system`, or `embedded` in the executable). */
async function versionLine(): Promise<string> {
  const line = `ecli (ecli-ts) ${VERSION}`;
  try {
    const { ffi } = await import("./ffi/mod.ts");
    const { version, source } = ffi().libbpfInfo;
    return `${line}, libbpf ${version} (${source})`;
  } catch (e) {
    return `${line}, libbpf unavailable: ${(e as Error).message}`;
  }
}

async function main(argv: string[]): Promise<number> {
  if (invokedAs() === "ecc") return await eccMain(argv);
  const [cmd, ...rest] = argv;
  switch (cmd) {
    case "run":
      return await runMain(rest);
    case "compile":
      return await eccMain(rest);
    case "info":
      return await infoMain(rest);
    case "cleanup":
      return await cleanupMain(rest);
    case "-V":
    case "--version":
      return print(await versionLine());
    case undefined:
    case "-h":
    case "--help":
      return print(ECLI_USAGE);
    default:
      throw new UsageError(`unknown command '${cmd}'`);
  }
}

if (import.meta.main) {
  const prog = process.argv[2] === "compile" || invokedAs() === "ecc" ? "ecc" : "ecli";
  try {
    process.exitCode = await main(process.argv.slice(2));
  } catch (e) {
    const err = e as Error & { details?: string; code?: string };
    // Tool diagnostics (clang's) and a handler's own stack always; libbpf's log only when
    // asked for with --verbose.
    const userStack = (e as { userStack?: string }).userStack;
    if (userStack) console.error(userStack);
    if (err.details && (err.name === "CompileError" || process.argv.includes("--verbose"))) {
      console.error(err.details);
    }
    const usage = e instanceof UsageError || err.code?.startsWith("ERR_PARSE_ARGS");
    let hint = usage ? ` (see ${prog} --help)` : "";
    // A program flag mistake: the program's own help lists its flags.
    if (err.name === "ArgError") hint = " (see: ecli run <package> --help)";
    console.error(`${prog}: error: ${err.message}${hint}`);
    if (process.env.ECLI_DEBUG) console.error(err.stack);
    process.exitCode = 1;
  }
}
