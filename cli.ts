/**
 * Command line: `ecli run|compile|info …`, and `ecc …` (the same as `ecli compile …`).
 * Parses arguments and calls mod.ts; every failure is one `error:` line and exit code 1.
 * @module
 */
import { parseArgs } from "node:util";
import { basename, dirname, join } from "node:path";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import process from "node:process";
import { VERSION } from "./version.ts";
import type { EmbeddedTool, Package } from "./mod.ts";
import type { HandlerObject } from "./lib/handler/mod.ts";

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
  -w, --wasm-header               also write <name>.wasm.h: the event structs for a wasm32 guest
  -n, --no-generate-package-json  write only <name>.bpf.o and <name>.skel.json
  -s, --standalone                also write <name>.out: a standalone tool (see ecli bundle)
  -b, --btfgen                    also write package.tar with BTF tailored for each kernel
                                  of the btfhub archive (for kernels without BTF)
      --btfhub-archive <DIR>      btfhub-archive tree: <ID>/<VERSION_ID>/<arch>/<release>.btf
                                  or .btf.tar.xz (default ~/.local/share/eunomia/btfhub-archive)
      --btf-from <FILE>           tailor from this kernel BTF too (repeatable; ID/VER/ARCH/REL.btf=FILE,
                                  a file in btfhub layout, or /sys/kernel/btf/vmlinux)
  -v, --verbose                   print the commands run
  -h, --help                      print this help
  -V, --version                   print the version`;

const ECLI_USAGE = `Usage: ecli <COMMAND> [ARGS]

Commands:
  run [OPTIONS] <package> [PROGRAM FLAGS]       load, attach and print the package's events
  compile [OPTIONS] <prog.bpf.c> [<event.h>]   compile into a package (same as ecc)
  info <package.json|package.yaml|package.tar|URL|->  summarise a package (programs, maps,
                                               flags, events, kernels a package.tar covers)
  bundle <package|script.ts> [--handler F] [-o TOOL]  make a standalone tool: this executable + the package
  <script.ts> [FLAGS]                          run a one-file script (BPF C in bpf\`...\` + its handler)
  types <script.ts>                            write <script>.d.ts beside it: its event types and bpf\`\`
  build <script.ts> [-o FILE]                  write the script's package (<script>.package.json)
  push [OPTIONS] <IMAGE> <package|module.wasm> push a package or wasm module to a registry
  pull [-o PATH] <IMAGE>                       pull one (IMAGE: host[:port]/name[:tag|@sha256:…])
  login [-u USER] [--password-stdin] <REGISTRY>  store credentials (docker's config.json)
  logout <REGISTRY>                            remove them
  run <prog.wasm> [ARGS] / info <prog.wasm>    run or describe a wasm-bpf module
  server [OPTIONS]                             run packages for remote clients over HTTP
  client [-e URL] <start|stop|list|log|pause|resume> ...  drive an 'ecli server'
  cleanup                                      remove tc filters/XDP programs killed runs left
  trace <probe>... [-e CODE] [--filter EXPR]   trace tracepoints, fentry, kprobes, uprobes: no C (--list)

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
      "wasm-header": { type: "boolean", short: "w" },
      "no-generate-package-json": { type: "boolean", short: "n" },
      standalone: { type: "boolean", short: "s" },
      btfgen: { type: "boolean", short: "b" },
      "btfhub-archive": { type: "string" },
      "btf-from": { type: "string", multiple: true },
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
  if (values.standalone && values["no-generate-package-json"]) {
    throw new UsageError("--standalone needs the package: it cannot go with -n");
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
    wasmHeader: values["wasm-header"],
    btfgen: values.btfgen,
    btfhubArchive: values["btfhub-archive"],
    btfFrom: values["btf-from"],
    log: verbose ? (l) => console.error(l) : undefined,
  });
  const out = result.files.package ?? result.files.skeleton;
  console.error(`ecc: wrote ${out} (object ${result.object.length} bytes)`);
  if (result.files.tar) {
    const k = result.btfgen ?? [];
    const bytes = k.reduce((n, x) => n + x.bytes, 0);
    console.error(
      `ecc: wrote ${result.files.tar} (tailored BTF for ${k.length} kernel${
        k.length === 1 ? "" : "s"
      }, ${bytes} bytes)`,
    );
  }
  if (values.standalone) {
    const name = basename(positionals[0]).split(".")[0];
    // With tailored BTF, the tool carries the tar: it then runs on kernels without BTF too.
    const pkgFile = result.files.tar ?? out;
    await writeTool({ package: pkgFile, output: join(dirname(out), `${name}.out`) }, "ecc");
  }
  return 0;
}

/** Whether this is the compiled executable (its modules live in Bun's embedded file system). */
function compiled(): boolean {
  return import.meta.url.startsWith("file:///$bunfs/");
}

/** The ecli executable a tool is a copy of: `--base`, this one, or the repository's dist/ecli. */
function toolBase(given?: string): string {
  if (given !== undefined) return given;
  if (compiled()) return process.execPath;
  const dist = fileURLToPath(new URL("./dist/ecli", import.meta.url));
  if (existsSync(dist)) return dist;
  throw new UsageError(
    "no ecli executable to copy: build one with 'deno task compile' or give --base ECLI",
  );
}

async function writeTool(
  o: {
    package: string;
    output?: string;
    handler?: string;
    evalCode?: string;
    args?: string[];
    base?: string;
    progType?: string;
    offline?: boolean;
    insecure?: boolean;
  },
  prog: string,
): Promise<void> {
  const started = performance.now();
  const { bundleTool } = await import("./mod.ts");
  if (isScript(o.package)) {
    if (o.handler !== undefined || o.evalCode !== undefined) {
      throw new UsageError(
        `${o.package} is its own handler: --handler and -e do not go with a script`,
      );
    }
    o = { ...o, handler: o.package, package: (await scriptBuild(o.package)).package };
    o.output ??= basename(o.handler!).replace(/\.[^.]+$/, "");
  }
  const program = await readProgramArg(o.package, o);
  const r = await bundleTool({ ...o, program, base: toolBase(o.base), version: VERSION });
  const mb = (n: number) => `${(n / 1e6).toFixed(1)} MB`;
  console.error(
    `${prog}: wrote ${r.output} (${mb(r.bytes)}: ecli ${mb(r.executableBytes)} + payload ` +
      `${(r.payloadBytes / 1e3).toFixed(1)} kB) in ${
        ((performance.now() - started) / 1000).toFixed(1)
      } s`,
  );
}

const BUNDLE_USAGE =
  `Usage: ecli bundle <package|package.tar|module.wasm|script.ts|IMAGE> [--handler FILE | -e CODE]
                   [-o TOOL] [--base ECLI] [-p TYPE] [--offline] [--insecure] [-- DEFAULT ARGS]

Writes TOOL: a copy of the ecli executable with the package, the handler (bundled with its
imports) and the default arguments appended. './TOOL [FLAGS]' then runs like
'ecli run <package> [--handler FILE] [DEFAULT ARGS] [FLAGS]' on a host with nothing else
installed (no deno, bun, clang or libbpf). './TOOL --ecli info' shows what it carries.

Options:
  -o, --output <TOOL>   the tool to write (default: the program's name, in this directory)
      --handler <FILE>  a handler module to bundle in
  -e, --eval <CODE>     inline handler code to bundle in
      --base <ECLI>     the ecli executable to copy (default: this one, or dist/ecli)
  -p, --prog-type <T>   json, yaml, tar or wasm (default: from the name or content)
      --offline, --insecure  for an IMAGE, as with ecli run
  -h, --help            print this help`;

async function bundleMain(args: string[]): Promise<number> {
  const dashes = args.indexOf("--");
  const { values, positionals } = parseArgs({
    args: dashes < 0 ? args : args.slice(0, dashes),
    allowPositionals: true,
    options: {
      output: { type: "string", short: "o" },
      handler: { type: "string" },
      eval: { type: "string", short: "e" },
      base: { type: "string" },
      "prog-type": { type: "string", short: "p" },
      offline: { type: "boolean" },
      insecure: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) return print(BUNDLE_USAGE);
  if (positionals.length !== 1) {
    throw new UsageError(
      positionals.length ? `unexpected argument '${positionals[1]}'` : "missing <package>",
    );
  }
  await writeTool({
    package: positionals[0],
    output: values.output,
    handler: values.handler,
    evalCode: values.eval,
    base: values.base,
    progType: values["prog-type"],
    offline: values.offline,
    insecure: values.insecure,
    args: dashes < 0 ? [] : args.slice(dashes + 1),
  }, "ecli");
  return 0;
}

/** What a standalone tool runs: its package and handler, under its own name. */
interface ToolRun {
  pkg: Package;
  handler?: HandlerObject;
  name: string;
}

/** A standalone tool: `TOOL [FLAGS]` is `ecli run <its package> [its defaults] [FLAGS]`. */
async function toolMain(tool: EmbeddedTool, argv: string[], name: string): Promise<number> {
  const { describeTool, programHandler, toolHandler, toolProgram } = await import("./mod.ts");
  const { payload } = tool;
  const program = toolProgram(tool);
  const kind = programHandler(program);
  const pkg = kind.toPackage ? await kind.toPackage(program) : undefined;
  if (argv[0] === "--ecli") {
    if (argv[1] === "info" && argv.length === 2) return print(describeTool(tool, pkg));
    throw new UsageError("--ecli takes one command: info");
  }
  // A program that runs itself (a wasm module) gets the tool's arguments.
  if (!pkg) return await kind.run!(program, [...payload.args, ...argv]);
  const handler = await toolHandler(payload);
  return await runMain([...payload.args, ...argv], { pkg, handler, name });
}

const RUN_USAGE = `Usage: ecli run [OPTIONS] <package.json|package.yaml|URL|-|IMAGE> [PROGRAM FLAGS]
       ecli run [--verbose] <prog.wasm> [GUEST ARGS]

Loads the package into the kernel, attaches its programs and prints its events until Ctrl-C.
A WebAssembly module (wasm-bpf) runs as a guest: its args, stdout/stderr and exit code.
Program flags come from the program's variables: 'ecli run <package> --help' lists them.

Options (before or after the package; '--' ends them):
  -j, --json            print one JSON object per event
      --verbose         show libbpf debug output and the verifier log
      --btf <FILE>      kernel BTF for CO-RE (default: BTF_FILE_PATH, the kernel's own,
                        then the matching file of a package.tar from ecc --btfgen)
      --duration <S>    stop after S seconds
      --count <N>       stop after N events
      --handler <FILE>  hand events to FILE's default export (TypeScript, no build step)
  -e, --eval <CODE>     inline handler: CODE runs per event with e, ctx, emit, stop, args, maps
      --on-error <stop|continue>  what a handler exception does (default: stop, exit 1)
      --queue <N>       events held while an async handler awaits (default 10000);
                        more are dropped and counted
      --filter <EXPR>   only events for which the TypeScript expression over e holds
                        (e.g. 'e.ret < 0 && e.comm != "sshd"')
      --fields <A,B,..> print only these fields, in this order
      --format <F>      table (default), json, csv, tsv or logfmt
      --exec <CMD>      run CMD per event, {field} replaced by the field's value (each
                        word stays one argument; no shell), instead of printing
  -P, --max-procs <N>   --exec commands running at once (default 1)
      --output <FILE>   write to FILE instead of stdout
      --metrics <HOST:PORT>     serve GET /metrics (Prometheus text; OpenMetrics on Accept)
      --metrics-config <FILE>   YAML: rename metrics, pick or relabel fields, count events
      --metrics-max-series <N>  series per metric before label sets are dropped (default 1000)
      --otlp <URL>              push the same metrics as OTLP/HTTP JSON to URL/v1/metrics
      --otlp-interval <S>       seconds between OTLP pushes (default 60; one more at exit)
  -p, --prog-type <T>   json, yaml, tar or wasm (default: from the name, content, media type)
      --offline         an IMAGE (host[:port]/name:tag) from the cache only
      --insecure        plain HTTP to a registry other than localhost/127.0.0.1
      --attach <PROG=TARGET>  attach PROG to TARGET (repeatable): /path/bin:symbol[+off]
                        (uprobe), /path/bin:provider:probe (usdt), ifname (xdp),
                        ifname[:ingress|egress] (tc)
      --pid <PID>       uprobes and USDT probes fire only in this process
      --freq <HZ>       perf_event programs sample at HZ per CPU (default @perf, else 99)
      --period <N>      perf_event programs sample every N events (ns of cpu-clock)
      --perf-event <cpu-clock|cycles>  what perf_event programs sample on (default @perf,
                        else cpu-clock; cycles needs a hardware PMU)
      --folded          print stack traces folded at exit (flamegraph.pl, speedscope)
  -h, --help            print this help

Order: --filter, then the handler (--handler, -e, or a script's), then --fields, then
--format or --exec.`;

/** ecli's own options of `run`; everything else after the package goes to the program. */
interface RunArgs {
  pkg?: string;
  json: boolean;
  verbose: boolean;
  btf?: string;
  duration?: number;
  count?: number;
  handler?: string;
  evalCode?: string;
  onError?: "stop" | "continue";
  queue?: number;
  filter?: string;
  fields?: string[];
  format?: "plain" | "json" | "csv" | "tsv" | "logfmt";
  exec?: string;
  maxProcs?: number;
  output?: string;
  metrics?: string;
  metricsConfig?: string;
  metricsMaxSeries?: number;
  otlp?: string;
  otlpInterval?: number;
  progType?: string;
  offline?: boolean;
  insecure?: boolean;
  help: boolean;
  programArgs: string[];
  attach: string[];
  pid?: number;
  freq?: number;
  period?: number;
  perfEvent?: "cpu-clock" | "cycles";
  folded: boolean;
}

const FORMATS = { table: "plain", json: "json", csv: "csv", tsv: "tsv", logfmt: "logfmt" } as const;

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

/** `packageGiven`: a tool's package is built in, so every other argument is a program flag. */
function splitRunArgs(args: string[], packageGiven = false): RunArgs {
  const r: RunArgs = {
    pkg: packageGiven ? "" : undefined,
    json: false,
    verbose: false,
    help: false,
    programArgs: [],
    attach: [],
    folded: false,
  };
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
    else if (name === "--btf") r.btf = required("--btf", value());
    else if (name === "--queue") r.queue = positiveNumber("--queue", value(), true);
    else if (name === "-e" || name === "--eval") r.evalCode = required(name, value());
    else if (name === "--filter") r.filter = required(name, value());
    else if (name === "--exec") r.exec = required(name, value());
    else if (name === "--output") r.output = required(name, value());
    else if (name === "-P" || name === "--max-procs") {
      r.maxProcs = positiveNumber(name, value(), true);
    } else if (name === "--fields") {
      r.fields = required(name, value()).split(",").map((f) => f.trim());
      if (r.fields.some((f) => f === "")) {
        throw new UsageError(`--fields takes names separated by commas, got '${r.fields}'`);
      }
    } else if (name === "--format") {
      const v = required(name, value());
      if (!(v in FORMATS)) {
        throw new UsageError(`--format takes ${Object.keys(FORMATS).join(", ")}, got '${v}'`);
      }
      r.format = FORMATS[v as keyof typeof FORMATS];
    } else if (name === "--metrics") r.metrics = required(name, value());
    else if (name === "--metrics-config") r.metricsConfig = required(name, value());
    else if (name === "--metrics-max-series") {
      r.metricsMaxSeries = positiveNumber(name, value(), true);
    } else if (name === "--otlp") r.otlp = required(name, value());
    else if (name === "--otlp-interval") r.otlpInterval = positiveNumber(name, value(), false);
    else if (name === "--prog-type" || (name === "-p" && r.pkg === undefined)) {
      r.progType = required(name, value());
    } else if (name === "--offline") r.offline = true;
    else if (name === "--insecure") r.insecure = true;
    else if (name === "--attach") r.attach.push(required("--attach", value()));
    else if (name === "--pid") r.pid = positiveNumber("--pid", value(), true);
    else if (name === "--freq") r.freq = positiveNumber("--freq", value(), true);
    else if (name === "--period") r.period = positiveNumber("--period", value(), true);
    else if (name === "--folded") r.folded = true;
    else if (name === "--perf-event") {
      const v = value();
      if (v !== "cpu-clock" && v !== "cycles") {
        throw new UsageError(`--perf-event takes cpu-clock or cycles, got '${v ?? ""}'`);
      }
      r.perfEvent = v;
    } else if (name === "--on-error") {
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

async function runMain(args: string[], tool?: ToolRun): Promise<number> {
  const r = splitRunArgs(args, tool !== undefined);
  if (r.help) return print(RUN_USAGE);
  if (r.pkg === undefined) throw new UsageError("missing <package>");
  if (r.handler !== undefined && r.evalCode !== undefined) {
    throw new UsageError("--handler and -e are alternatives; give one");
  }
  if (r.freq !== undefined && r.period !== undefined) {
    throw new UsageError("--freq and --period are alternatives; give one");
  }
  if (r.folded && (r.handler !== undefined || r.evalCode !== undefined || r.json)) {
    throw new UsageError("--folded prints its own output; it cannot go with a handler or --json");
  }
  const {
    evalHandler,
    handlerConsumer,
    loadHandler,
    loadPackage,
    mapHandles,
    printingConsumer,
    programHandler,
    runPackage,
    startRunMetrics,
  } = await import("./mod.ts");
  const wantsMetrics = [r.metrics, r.metricsConfig, r.metricsMaxSeries, r.otlp, r.otlpInterval]
    .some((v) => v !== undefined);
  if (wantsMetrics && r.metrics === undefined && r.otlp === undefined) {
    throw new UsageError(
      "--metrics-config, --metrics-max-series and --otlp-interval need --metrics or --otlp",
    );
  }
  const script = tool === undefined && isScript(r.pkg) ? r.pkg : undefined;
  if (script !== undefined && (r.handler !== undefined || r.evalCode !== undefined)) {
    throw new UsageError(`${script} is its own handler: --handler and -e do not go with a script`);
  }
  let pkg: Package;
  if (tool) pkg = tool.pkg;
  else if (script !== undefined) pkg = await loadPackage((await scriptBuild(script)).package);
  else {
    // The program's type picks its handler: packages go on below, other types run themselves.
    const program = await readProgramArg(r.pkg, r);
    const kind = programHandler(program);
    if (kind.run) {
      // Everything after the module is the guest's (its -c or -e are not ecli's options).
      const guestArgs = args.slice(args.indexOf(r.pkg) + 1);
      if (guestArgs[0] === "--") guestArgs.shift();
      return await kind.run(program, guestArgs, { verbose: r.verbose });
    }
    pkg = await kind.toPackage!(program);
  }
  // The handler loads before anything is attached: a broken module costs nothing.
  const handler = script !== undefined
    ? await (await import("./lib/handler/mod.ts")).loadScriptHandler(script)
    : r.handler !== undefined
    ? await loadHandler(r.handler)
    : r.evalCode !== undefined
    ? await evalHandler(r.evalCode)
    : tool?.handler;
  const format = r.json ? "json" : r.format === "json" ? "json" : "plain";
  const log = (line: string) => console.error(line);
  const pipeline = await scriptingOptions(r, pkg, handler !== undefined, log);
  // Bound before the programs attach: a busy port or a bad config costs nothing.
  const metrics = wantsMetrics
    ? await startRunMetrics({
      listen: r.metrics,
      otlp: r.otlp,
      otlpIntervalMs: r.otlpInterval !== undefined ? r.otlpInterval * 1000 : undefined,
      configPath: r.metricsConfig,
      maxSeries: r.metricsMaxSeries,
      log,
    })
    : undefined;
  const consumer = (handler ?? pipeline.handler) &&
    handlerConsumer(handler ?? pipeline.handler!, {
      ...pipeline.options,
      format,
      onError: r.onError,
      queueLimit: r.queue,
      log,
      maps: mapHandles,
    });
  const summary = await runPackage(pkg, {
    programArgs: r.programArgs,
    format,
    verbose: r.verbose,
    btfPath: r.btf,
    durationMs: r.duration !== undefined ? r.duration * 1000 : undefined,
    count: r.count,
    attach: r.attach,
    pid: r.pid,
    perf: {
      ...(r.freq !== undefined || r.period !== undefined ? { freq: r.freq, period: r.period } : {}),
      ...(r.perfEvent ? { event: r.perfEvent } : {}),
    },
    folded: r.folded,
    log,
    helpCommand: tool?.name ?? (script !== undefined ? basename(script) : undefined),
    out: pipeline.out,
    consumer: metrics
      ? metrics.consumer(consumer ?? ((s) => printingConsumer(s.btf, format, s.out)()))
      : consumer,
  }).finally(() => metrics?.close());
  return summary.code;
}

/**
 * What `--filter`, `--fields`, `--format`, `--exec` and `--output` add to a run: options of the
 * handler consumer (with a pass-through handler when the user gave none) and the output. The
 * fields they name are checked against the event types first when no handler reshapes events.
 */
async function scriptingOptions(
  r: RunArgs,
  pkg: Package,
  hasHandler: boolean,
  log: (line: string) => void,
) {
  const {
    compileFilter,
    makeExecSink,
    parseCommandTemplate,
    PASS_EVENTS,
    templateFields,
    FdOutput,
  } = await import("./mod.ts");
  const used = r.filter !== undefined || r.fields !== undefined || r.exec !== undefined ||
    (r.format !== undefined && r.format !== "plain" && r.format !== "json");
  if (r.maxProcs !== undefined && r.exec === undefined) throw new UsageError("-P goes with --exec");
  if (r.exec !== undefined && r.format !== undefined) {
    throw new UsageError("--exec runs a command instead of printing: it does not go with --format");
  }
  if (!hasHandler) {
    const known = new Set(pkg.meta.export_types.flatMap((t) => t.members.map((m) => m.name)));
    const named = [
      ...(r.fields ?? []),
      ...(r.exec ? templateFields(parseCommandTemplate(r.exec)) : []),
    ];
    for (const f of named) {
      if (!known.has(f)) {
        throw new UsageError(`unknown field '${f}' (the events have: ${[...known].join(", ")})`);
      }
    }
  }
  let out;
  if (r.output !== undefined) {
    const { openSync } = await import("node:fs");
    try {
      out = new FdOutput(openSync(r.output, "w"));
    } catch (e) {
      throw new UsageError(`--output ${r.output}: ${(e as NodeJS.ErrnoException).code ?? e}`);
    }
  }
  return {
    out,
    handler: used ? PASS_EVENTS : undefined,
    options: {
      filter: r.filter !== undefined ? await compileFilter(r.filter) : undefined,
      fields: r.fields,
      emitFormat: r.format,
      sink: r.exec !== undefined
        ? makeExecSink(r.exec, { concurrency: r.maxProcs, log })
        : undefined,
    },
  };
}

/** Whether `arg` names a one-file script (by its ending) rather than a package. */
function isScript(arg: string): boolean {
  return /\.(?:[cm]?ts|[cm]?js|tsx|jsx)$/.test(arg) && !/^https?:\/\//.test(arg);
}

/** A script's package, compiled on first use and cached by content. */
async function scriptBuild(script: string) {
  const { buildScript } = await import("./compile/mod.ts");
  return await buildScript(script, {
    log: process.argv.includes("--verbose") ? (l) => console.error(l) : undefined,
  });
}

/** `ecli types script.ts`: the script's types beside it, for editors and `deno check`. */
async function typesMain(args: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args,
    allowPositionals: true,
    options: { help: { type: "boolean", short: "h" } },
  });
  if (values.help) return print("Usage: ecli types <script.ts>   (writes <script>.d.ts beside it)");
  if (positionals.length !== 1) throw new UsageError("expected one script");
  const { scriptTypes } = await import("./compile/mod.ts");
  const build = await scriptBuild(positionals[0]);
  const out = join(dirname(positionals[0]), `${build.name}.d.ts`);
  const { writeFileSync } = await import("node:fs");
  writeFileSync(out, scriptTypes(build));
  console.error(`ecli: wrote ${out}`);
  return 0;
}

/** `ecli build script.ts [-o FILE]`: the script's package, to ship or run without the C. */
async function buildMain(args: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args,
    allowPositionals: true,
    options: { output: { type: "string", short: "o" }, help: { type: "boolean", short: "h" } },
  });
  if (values.help) {
    return print(
      "Usage: ecli build <script.ts> [-o FILE]   (default: <script>.package.json beside it)",
    );
  }
  if (positionals.length !== 1) throw new UsageError("expected one script");
  const build = await scriptBuild(positionals[0]);
  const out = values.output ?? join(dirname(positionals[0]), `${build.name}.package.json`);
  const { copyFileSync } = await import("node:fs");
  copyFileSync(build.package, out);
  console.error(`ecli: wrote ${out}${build.cached ? " (from the build cache)" : ""}`);
  return 0;
}

/** Reads a program argument (file, URL, stdin, OCI image) with `-p`/`--offline`/`--insecure`. */
async function readProgramArg(
  source: string,
  o: { progType?: string; offline?: boolean; insecure?: boolean },
) {
  const { parseProgramType, readProgram } = await import("./mod.ts");
  const type = o.progType !== undefined ? parseProgramType(o.progType) : undefined;
  return await readProgram(source, { type, offline: o.offline, insecure: o.insecure });
}

async function infoMain(args: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      help: { type: "boolean", short: "h" },
      "prog-type": { type: "string", short: "p" },
      offline: { type: "boolean" },
      insecure: { type: "boolean" },
    },
  });
  if (values.help) {
    return print(
      "Usage: ecli info [-p TYPE] [--offline] [--insecure] <package.json|package.yaml|URL|-|IMAGE>",
    );
  }
  if (positionals.length !== 1) throw new UsageError("expected one package");
  const program = await readProgramArg(positionals[0], {
    ...values,
    progType: values["prog-type"],
  });
  const { describeProgram } = await import("./mod.ts");
  console.log(await describeProgram(program));
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

/** The executable invoked as `ecli-server` (a symlink or copy of that name) is the server. */
function invokedAsServer(): boolean {
  return [process.argv0, process.argv[1]].some((n) => /^ecli-server(\.|$)/.test(basename(n ?? "")));
}

async function main(argv: string[], tool?: EmbeddedTool): Promise<number> {
  if (tool) return await toolMain(tool, argv, toolName());
  if (invokedAs() === "ecc") return await eccMain(argv);
  if (invokedAsServer()) return await (await import("./cli/server.ts")).serverMain(argv);
  const [cmd, ...rest] = argv;
  switch (cmd) {
    case "run":
      return await runMain(rest);
    case "compile":
      return await eccMain(rest);
    case "info":
      return await infoMain(rest);
    case "bundle":
      return await bundleMain(rest);
    case "types":
      return await typesMain(rest);
    case "build":
      return await buildMain(rest);
    case "push":
      return await (await import("./cli/oci.ts")).pushMain(rest);
    case "pull":
      return await (await import("./cli/oci.ts")).pullMain(rest);
    case "login":
      return await (await import("./cli/oci.ts")).loginMain(rest);
    case "logout":
      return (await import("./cli/oci.ts")).logoutMain(rest);
    case "server":
      return await (await import("./cli/server.ts")).serverMain(rest);
    case "client":
      return await (await import("./cli/server.ts")).clientMain(rest);
    case "cleanup":
      return await cleanupMain(rest);
    case "trace":
      return await (await import("./cli/trace.ts")).traceMain(rest, runMain);
    case "-V":
    case "--version":
      return print(await versionLine());
    case undefined:
    case "-h":
    case "--help":
      return print(ECLI_USAGE);
    default:
      // `ecli script.ts [flags]`, and what a `#!/usr/bin/env -S ecli` shebang runs.
      if (isScript(cmd)) return await runMain(argv);
      throw new UsageError(`unknown command '${cmd}'`);
  }
}

/** A standalone tool's name: the file it was started as. */
function toolName(): string {
  return basename(process.argv0);
}

/** The payload appended to this executable, when it is a standalone tool. */
async function embeddedTool(): Promise<EmbeddedTool | undefined> {
  if (!compiled()) return undefined;
  const { readEmbeddedTool } = await import("./lib/standalone/embedded.ts");
  return readEmbeddedTool(process.execPath, VERSION);
}

if (import.meta.main) {
  let prog = process.argv[2] === "compile" || invokedAs() === "ecc" ? "ecc" : "ecli";
  let isTool = false;
  try {
    // Before anything else: a tool runs its own package, and a damaged one nothing at all (its
    // errors name the tool).
    if (compiled()) prog = toolName();
    const tool = await embeddedTool();
    isTool = tool !== undefined;
    if (!isTool) prog = process.argv[2] === "compile" || invokedAs() === "ecc" ? "ecc" : "ecli";
    process.exitCode = await main(process.argv.slice(2), tool);
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
    if (err.name === "ArgError") {
      hint = isTool ? ` (see: ${prog} --help)` : " (see: ecli run <package> --help)";
    }
    console.error(`${prog}: error: ${err.message}${hint}`);
    if (process.env.ECLI_DEBUG) console.error(err.stack);
    process.exitCode = 1;
  }
}
