/**
 * Event-path throughput: ecli's ring-buffer consumers against a plain libbpf C consumer, on
 * the real kernel, in the same run (root, kernel BTF).
 *
 *   deno run -A bench/events.ts [N=2000000] [runs=3] [--no-bun] [--no-cli] [--profile DIR]
 *     [--only IDS]
 *
 * A tracepoint program (`events/events.bpf.c`) writes one 64-byte event per getpid(2) call of
 * a generator (`events/gen.c`) into a ring buffer with the kernel's default wakeups. Each
 * consumer is its own process (so its peak RSS, VmHWM, is its own):
 *
 * - drain (consumer ceiling): the ring is resized to hold all N records; the consumer loads
 *   and attaches, the generator makes its N calls while nobody reads, then the consumer times
 *   one drain of everything. Rows: C (`events/consumer.c`, `ring_buffer__consume`); ecli
 *   decoding every record to a JS object (`buildDecoder(…).at` + `RingBufferReader` with
 *   `{ at }`, as `ecli run` reads rings; no-op sink);
 *   ecli's `--json` printer writing to /dev/null (`makePrinter` + `FdOutput`).
 * - live: 16 MiB ring, the generator at full speed while the consumer reads. Rows: C
 *   (`ring_buffer__poll`), `runPackage(…, { format: "json" })` to /dev/null, which is
 *   `ecli run --json`, and (diagnostic) the same run loop with a decode-only consumer.
 *   events/s = delivered / generator time; lost = N − delivered.
 * - live, the real CLI: `ecli run PACKAGE --json --count N --target_pid PID` under Deno
 *   (`deno run -A cli.ts`), Bun (`bun cli.ts`) and the compiled executable (`dist/ecli`, built
 *   first when a source is newer: `deno task compile --if-stale`), each under
 *   `/usr/bin/time` (peak RSS, CPU). Ready = its stderr line ` attached, printing `; its stdout
 *   goes to a file on tmpfs, and delivered = the JSON lines in it (lost = N − lines). CPU is
 *   counted from ready to exit (teardown included); "ready→end" is delivered / (ready → exit).
 *
 * The main ecli rows run under Deno and Bun (the script rows also by `bun
 * events/ecli_consumer.ts`, the CLI rows as above), so the runtimes are compared in the same run, each as a ratio to the
 * C consumer of the same mode. Rows are interleaved (one session of each per round) and the
 * median of the rounds is shown. The targets checked (PASS/FAIL): drain with full decode
 * ≥ 0.35× C; `--json` drain ≥ 1,000,000 events/s; nothing lost live.
 * `--no-bun` leaves out the Bun rows, `--no-cli` the CLI rows; `--profile DIR` runs the Deno
 * consumers with `--cpu-prof` (open the `.cpuprofile` files in Chrome DevTools or summarise
 * them); `--only decode,json` runs just those rows (and the C rows they are compared with).
 * @module
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { compile } from "../compile/mod.ts";
import { loadPackage } from "../lib/package/mod.ts";
import { kernelSkipReason } from "../tests/support/kernel.ts";
import { ensureBinary } from "../tools/build.ts";
import { RECORD_BYTES } from "./events/layout.ts";

const ROOT = new URL("../", import.meta.url).pathname.replace(/\/$/, "");
const SRC = `${ROOT}/bench/events`;

/** How the benchmark runs. */
export interface EventsBenchOptions {
  /** getpid calls (events) per session. */
  events?: number;
  /** Rounds; each row's median over them is shown. */
  runs?: number;
  /** Also run the ecli rows under Bun (default: true, when `bun` is installed). */
  bun?: boolean;
  /**
   * The real CLI rows, `ecli run --json` under `deno run`, `bun` and `dist/ecli` (default:
   * true; builds `dist/ecli` first when it is stale).
   */
  cli?: boolean;
  /** Run the Deno consumers with `--cpu-prof`, writing the profiles into this directory. */
  profileDir?: string;
  /**
   * Only these rows (ids: decode, handler, json, live-json, live-decode, bun-decode, bun-json,
   * bun-live-json, cli-deno, cli-deno-metrics, cli-bun, cli-binary), plus the C rows.
   */
  only?: string[];
}

type Mode = "drain" | "live";

interface Row {
  id: string;
  label: string;
  mode: Mode;
  c: boolean;
  /** A consumer speaking the READY protocol, or the real `ecli run` CLI (live only). */
  cli: boolean;
  command: (pid: number, ringBytes: number) => [string, string[]];
}

/** What one consumer reported, plus what the generator did meanwhile. */
interface Sample {
  events: number;
  seconds: number;
  cpu_seconds: number;
  max_rss_kb: number;
  lost: number;
  drops?: number;
  gaps?: number;
  gen: { calls: number; seconds: number; rate: number };
}

/** A child process whose stdout (or stderr) is read line by line. */
class LineChild {
  readonly process: Deno.ChildProcess;
  #writer: WritableStreamDefaultWriter<Uint8Array>;
  #lines: ReadableStreamDefaultReader<string>;
  #buffered = "";

  constructor(cmd: string, args: string[], lines: "stdout" | "stderr" = "stdout") {
    this.process = new Deno.Command(cmd, {
      args,
      cwd: ROOT,
      stdin: "piped",
      stdout: lines === "stdout" ? "piped" : "inherit",
      stderr: lines === "stderr" ? "piped" : "inherit",
    }).spawn();
    this.#writer = this.process.stdin.getWriter();
    const stream = lines === "stdout" ? this.process.stdout : this.process.stderr;
    this.#lines = stream.pipeThrough(new TextDecoderStream()).getReader();
  }

  /** The next line of output; undefined at end of output. */
  async line(): Promise<string | undefined> {
    while (!this.#buffered.includes("\n")) {
      const { value, done } = await this.#lines.read();
      if (done) {
        const rest = this.#buffered;
        this.#buffered = "";
        return rest || undefined;
      }
      this.#buffered += value;
    }
    const i = this.#buffered.indexOf("\n");
    const line = this.#buffered.slice(0, i);
    this.#buffered = this.#buffered.slice(i + 1);
    return line;
  }

  /** The last line before end of output. */
  async lastLine(): Promise<string | undefined> {
    return (await this.rest()).at(-1);
  }

  /** Every line up to end of output. */
  async rest(): Promise<string[]> {
    const lines: string[] = [];
    for (let l = await this.line(); l !== undefined; l = await this.line()) lines.push(l);
    return lines;
  }

  async send(text: string): Promise<void> {
    await this.#writer.write(new TextEncoder().encode(text));
  }

  /** Kills it if still running, then waits for its exit. */
  async close(): Promise<Deno.CommandStatus> {
    await this.#writer.close().catch(() => {});
    try {
      this.process.kill("SIGKILL");
    } catch { /* already gone */ }
    await this.#lines.cancel().catch(() => {});
    return await this.process.status;
  }
}

/** Rejects after `ms` with `what` unless `p` settles first. */
function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer after ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

function clang(out: string, sources: string[], extra: string[] = []): void {
  const r = spawnSync("clang", ["-O2", "-Wall", "-o", out, ...sources, ...extra], {
    encoding: "utf8",
  });
  if (r.status !== 0) throw new Error(`clang ${sources.join(" ")} failed:\n${r.stderr}`);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Smallest power of two ≥ `n`. */
function pow2AtLeast(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

async function session(row: Row, n: number, genExe: string, ringBytes: number): Promise<Sample> {
  const gen = new LineChild(genExe, [String(n)]);
  let consumer: LineChild | undefined;
  try {
    const pid = Number(await within(gen.line(), 10_000, "generator pid"));
    const [cmd, args] = row.command(pid, ringBytes);
    consumer = new LineChild(cmd, args);
    const ready = await within(consumer.line(), 60_000, `${row.label}: READY`);
    if (ready !== "READY") throw new Error(`${row.label}: expected READY, got ${ready}`);
    await gen.send("go\n");
    const genLine = await within(gen.line(), 600_000, "generator result");
    if (!genLine) throw new Error("generator exited without a result");
    const genResult = JSON.parse(genLine);
    let grace: ReturnType<typeof setTimeout> | undefined;
    if (row.mode === "drain") await consumer.send("drain\n");
    else {
      // A consumer that got every event ends by itself; one that lost some is told to stop.
      const c = consumer;
      grace = setTimeout(() => {
        try {
          c.process.kill("SIGINT");
        } catch { /* gone */ }
      }, 3000);
    }
    const last = await within(
      consumer.lastLine(),
      Math.max(120_000, n / 100),
      `${row.label}: result`,
    );
    clearTimeout(grace);
    const status = await consumer.process.status;
    if (!status.success || !last) throw new Error(`${row.label}: exit code ${status.code}`);
    const r = JSON.parse(last);
    const lost = row.c ? n - r.events : r.lost;
    return { ...r, lost, gen: genResult };
  } finally {
    await consumer?.close();
    await gen.close();
  }
}

/** User + system CPU seconds a live process has used so far (all its threads). */
function procCpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  // Fields after the parenthesised command name: state is field 3, utime 14, stime 15.
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(f[11]) + Number(f[12])) / 100; // USER_HZ, 100 on Linux
}

/** The first child of `pid` (the command `/usr/bin/time` runs), once it has one. */
async function childOf(pid: number): Promise<number> {
  for (let i = 0; i < 1000; i++) {
    const kids = readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim();
    if (kids) return Number(kids.split(" ")[0]);
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error(`process ${pid} started no child`);
}

/**
 * One live session of the real CLI, `<runtime> run PKG --json --count N --target_pid PID`,
 * under `/usr/bin/time` with its stdout in a file under `outDir`; see the module doc.
 */
async function cliSession(row: Row, n: number, genExe: string, outDir: string): Promise<Sample> {
  const gen = new LineChild(genExe, [String(n)]);
  let consumer: LineChild | undefined;
  let child = 0;
  let exited = false;
  const pid = Number(await within(gen.line(), 10_000, "generator pid"));
  const out = join(outDir, `out-${pid}.jsonl`);
  const timeFile = join(outDir, `time-${pid}`);
  try {
    const [cmd, args] = row.command(pid, 16 << 20);
    consumer = new LineChild("sh", [
      "-c",
      'out=$1 tf=$2; shift 2; exec /usr/bin/time -f "%M %U %S" -o "$tf" "$@" > "$out"',
      "sh",
      out,
      timeFile,
      cmd,
      ...args,
    ], "stderr");
    const said: string[] = [];
    for (;;) {
      const line = await within(consumer.line(), 60_000, `${row.label}: attached`);
      if (line === undefined) throw new Error(`${row.label} exited:\n${said.join("\n")}`);
      if (line.includes(" attached, printing ")) break;
      said.push(line);
    }
    const t0 = performance.now();
    child = await childOf(consumer.process.pid);
    const cpu0 = procCpuSeconds(child);
    await gen.send("go\n");
    const genLine = await within(gen.line(), 600_000, "generator result");
    if (!genLine) throw new Error("generator exited without a result");
    const genResult = JSON.parse(genLine);
    // With every event it stops by itself (--count N); one that lost some is told to stop.
    let interrupted = false;
    const grace = setTimeout(() => {
      interrupted = true;
      try {
        Deno.kill(child, "SIGINT");
      } catch { /* gone */ }
    }, 3000);
    said.push(...await within(consumer.rest(), Math.max(120_000, n / 100), `${row.label}: exit`));
    const status = await consumer.process.status;
    const seconds = (performance.now() - t0) / 1000;
    exited = true;
    clearTimeout(grace);
    if (!status.success && !interrupted) {
      throw new Error(`${row.label}: exit code ${status.code}:\n${said.join("\n")}`);
    }
    const [rssKb, user, sys] = readFileSync(timeFile, "utf8").trim().split("\n").at(-1)!
      .split(" ").map(Number);
    const wc = spawnSync("wc", ["-l", out], { encoding: "utf8" });
    const events = Number.parseInt(wc.stdout);
    return {
      events,
      seconds,
      cpu_seconds: user + sys - cpu0,
      max_rss_kb: rssKb,
      lost: n - events,
      gen: genResult,
    };
  } finally {
    if (child && !exited) {
      try {
        Deno.kill(child, "SIGKILL");
      } catch { /* already gone */ }
    }
    await consumer?.close();
    await gen.close();
    rmSync(out, { force: true });
    rmSync(timeFile, { force: true });
  }
}

const fmtRate = (r: number) =>
  r >= 1e6 ? `${(r / 1e6).toFixed(2)} M/s` : `${(r / 1e3).toFixed(0)} k/s`;
const mb = (kb: number) => `${(kb / 1024).toFixed(0)} MB`;

/** Runs the event-path benchmark and prints its table; returns whether every target passed. */
export async function runEventsBench(opts: EventsBenchOptions = {}): Promise<boolean> {
  const n = opts.events ?? 2_000_000;
  const runs = opts.runs ?? 3;
  const skip = kernelSkipReason();
  if (skip) {
    console.log(`event path benchmark skipped: ${skip}`);
    return true;
  }
  const dir = mkdtempSync(join(tmpdir(), "ecli-events-bench-"));
  try {
    return await measure(n, runs, opts, dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function measure(
  n: number,
  runs: number,
  opts: EventsBenchOptions,
  dir: string,
): Promise<boolean> {
  const built = await compile({
    source: `${SRC}/events.bpf.c`,
    exportHeader: `${SRC}/event.h`,
    outputDir: dir,
    log: () => {},
  });
  const pkgPath = built.files.package!;
  // The C consumer opens the very ELF the package carries.
  const objPath = join(dir, "events.bpf.o");
  writeFileSync(objPath, (await loadPackage(pkgPath)).object);
  const genExe = join(dir, "gen");
  const consumerExe = join(dir, "consumer");
  clang(genExe, [`${SRC}/gen.c`]);
  clang(consumerExe, [`${SRC}/consumer.c`], [`-I${SRC}`, "-lbpf"]);

  const drainRing = pow2AtLeast(Math.max(n * RECORD_BYTES, 16 << 20));
  const script = `${SRC}/ecli_consumer.ts`;
  const ecli =
    (runtime: "deno" | "bun", mode: string) => (pid: number, ring: number): [string, string[]] => {
      const args = [script, mode, pkgPath, String(pid), String(n), String(ring)];
      const prof = opts.profileDir
        ? [
          "--cpu-prof",
          `--cpu-prof-dir=${opts.profileDir}`,
          `--cpu-prof-name=${mode}-${pid}.cpuprofile`,
        ]
        : [];
      return runtime === "deno" ? ["deno", ["run", "-A", ...prof, ...args]] : ["bun", args];
    };
  const cRow = (mode: Mode) => (pid: number, ring: number): [string, string[]] => [
    consumerExe,
    [objPath, mode, String(pid), String(n), ...(mode === "drain" ? [String(ring)] : [])],
  ];
  // The real CLI: `<runtime> run PKG --json --count N --target_pid PID`, stdout to a file.
  const cliRow = (argv: string[], extra: string[] = []) => (pid: number): [string, string[]] => [
    argv[0],
    [
      ...argv.slice(1),
      "run",
      pkgPath,
      "--json",
      ...extra,
      "--count",
      String(n),
      "--target_pid",
      String(pid),
    ],
  ];
  const row = (id: string, label: string, mode: Mode, command: Row["command"]): Row => ({
    id,
    label,
    mode,
    c: id.startsWith("c-"),
    cli: id.startsWith("cli-"),
    command,
  });
  const bun = (opts.bun ?? true) && spawnSync("bun", ["--version"]).status === 0;
  const notes: string[] = [];
  if ((opts.bun ?? true) && !bun) notes.push("bun not found: no Bun rows");
  const wanted = (id: string) => !opts.only || opts.only.includes(id);
  let binary: string | undefined;
  if ((opts.cli ?? true) && wanted("cli-binary")) {
    try {
      const t0 = performance.now();
      binary = ensureBinary();
      const ms = performance.now() - t0;
      if (ms > 1000) notes.push(`dist/ecli was stale: rebuilt in ${(ms / 1000).toFixed(0)} s`);
    } catch (e) {
      notes.push(`no dist/ecli row: ${(e as Error).message.split("\n")[0]}`);
    }
  }
  const rows: Row[] = [
    row("c-drain", "C libbpf ring_buffer__consume", "drain", cRow("drain")),
    row("decode", "deno: decode → JS objects", "drain", ecli("deno", "drain-decode")),
    ...(bun
      ? [row("bun-decode", "bun: decode → JS objects", "drain", ecli("bun", "drain-decode"))]
      : []),
    row("handler", "deno: → no-op TS handler", "drain", ecli("deno", "drain-handler")),
    row("json", "deno: --json → /dev/null", "drain", ecli("deno", "drain-json")),
    ...(bun
      ? [row("bun-json", "bun: --json → /dev/null", "drain", ecli("bun", "drain-json"))]
      : []),
    row("c-live", "C libbpf ring_buffer__poll", "live", cRow("live")),
    row("live-json", "deno: run --json → /dev/null", "live", ecli("deno", "live-json")),
    ...(bun
      ? [row("bun-live-json", "bun: run --json → /dev/null", "live", ecli("bun", "live-json"))]
      : []),
    row("live-decode", "deno: run, decode only (diagnostic)", "live", ecli("deno", "live-decode")),
  ];
  if (opts.cli ?? true) {
    rows.push(
      row("cli-deno", "CLI deno run -A cli.ts", "live", cliRow(["deno", "run", "-A", "cli.ts"])),
      // What counting events for /metrics costs on the event path.
      row(
        "cli-deno-metrics",
        "CLI deno, --metrics",
        "live",
        cliRow(["deno", "run", "-A", "cli.ts"], ["--metrics", "127.0.0.1:0"]),
      ),
    );
    if (bun) rows.push(row("cli-bun", "CLI bun cli.ts", "live", cliRow(["bun", "cli.ts"])));
    if (binary) rows.push(row("cli-binary", "CLI dist/ecli", "live", cliRow([binary])));
  }

  if (opts.only) {
    const keep = rows.filter((r) => r.c || opts.only!.includes(r.id));
    rows.splice(
      0,
      rows.length,
      ...keep.filter((r) => !r.c || keep.some((k) => !k.c && k.mode === r.mode)),
    );
  }
  // The CLI rows' stdout: tmpfs when there is one, so that writing it costs no disk.
  const outDir = mkdtempSync(join(existsSync("/dev/shm") ? "/dev/shm" : dir, "ecli-bench-out-"));
  const samples = new Map<string, Sample[]>(rows.map((r) => [r.id, []]));
  try {
    for (let run = 0; run < runs; run++) {
      for (const r of rows) {
        const ring = r.mode === "drain" ? drainRing : 16 << 20;
        samples.get(r.id)!.push(
          r.cli ? await cliSession(r, n, genExe, outDir) : await session(r, n, genExe, ring),
        );
      }
    }
  } finally {
    rmSync(outDir, { recursive: true, force: true });
  }

  const rate = (r: Row, s: Sample) =>
    r.mode === "drain" ? s.events / s.seconds : s.events / s.gen.seconds;
  const byId = (id: string) => rows.find((r) => r.id === id)!;
  const rates = (id: string) => samples.get(id)!.map((s) => rate(byId(id), s));
  const medianOf = (id: string, f: (s: Sample) => number) => median(samples.get(id)!.map(f));
  const has = (id: string) => samples.has(id);
  const cRate: Record<Mode, number> = {
    drain: has("c-drain") ? median(rates("c-drain")) : NaN,
    live: has("c-live") ? median(rates("c-live")) : NaN,
  };
  const w = Math.max(...rows.map((r) => r.label.length));

  console.log(
    `event path: ${n} getpid events of 64 bytes per session, median of ${runs} ` +
      `(rows interleaved, same run)`,
  );
  for (const note of notes) console.log(`  (${note})`);
  for (const mode of ["drain", "live"] as const) {
    const modeRows = rows.filter((x) => x.mode === mode);
    if (!modeRows.length) continue;
    console.log(
      mode === "drain"
        ? `drain: ring prefilled (${drainRing >> 20} MiB) while nobody reads, then one ` +
          `timed drain; events/s = events / drain time`
        : "live: 16 MiB ring, kernel default wakeups, generator at full speed; " +
          "events/s = delivered / generator time",
    );
    if (mode === "live" && modeRows.some((r) => r.cli)) {
      console.log(
        "  CLI rows: `… run PKG --json --count N --target_pid PID > file` (tmpfs), under " +
          "/usr/bin/time; ready = ` attached, printing ` on stderr; CPU from ready to exit; " +
          "lost = N − JSON lines printed",
      );
    }
    if (mode === "live" && n * RECORD_BYTES <= 16 << 20) {
      console.log("  (the ring holds all N events here, so no consumer can lose any: raise N)");
    }
    const lostText = (r: Row) =>
      samples.get(r.id)!.map((s) =>
        r.c && (s.drops || s.gaps) ? `${s.lost} (drops ${s.drops}, gaps ${s.gaps})` : `${s.lost}`
      ).join("/");
    const lw = Math.max("lost (per run)".length, ...modeRows.map((r) => lostText(r).length));
    const extra = mode === "live"
      ? `${"ready→end".padStart(10)}${"producer".padStart(10)}  ${"lost (per run)".padEnd(lw)}`
      : "";
    console.log(
      `  ${"consumer".padEnd(w)} ${"events/s".padStart(10)}    × C  CPU ns/ev  peak RSS` +
        `${extra}  runs`,
    );
    for (const r of modeRows) {
      const rs = rates(r.id);
      const ratio = median(rs) / cRate[mode];
      const cpu = medianOf(r.id, (s) => (s.cpu_seconds * 1e9) / Math.max(1, s.events));
      const rss = mb(medianOf(r.id, (s) => s.max_rss_kb));
      const more = mode === "live"
        ? fmtRate(medianOf(r.id, (s) => s.events / s.seconds)).padStart(10) +
          `${fmtRate(medianOf(r.id, (s) => s.gen.rate)).padStart(10)}  ${lostText(r).padEnd(lw)}`
        : "";
      console.log(
        `  ${r.label.padEnd(w)} ${fmtRate(median(rs)).padStart(10)} ` +
          `${ratio.toFixed(ratio < 0.1 ? 3 : 2).padStart(6)} ${cpu.toFixed(0).padStart(10)} ` +
          `${rss.padStart(9)}${more}  ${rs.map(fmtRate).join(", ")}`,
      );
    }
  }
  console.log(
    "  (peak RSS = VmHWM of the consumer process; it counts the mapped ring, twice its size; " +
      "ready→end = delivered / time from attached to the end of the consumer's loop, to exit " +
      "for the CLI rows)",
  );

  const targets: [boolean, string][] = [];
  if (has("decode")) {
    const ratio = median(rates("decode")) / cRate.drain;
    targets.push([
      ratio >= 0.35,
      `drain with full decode to JS objects ≥ 0.35× C: ${ratio.toFixed(3)}×`,
    ]);
  }
  if (has("handler") && has("decode")) {
    const ratio = median(rates("handler")) / median(rates("decode"));
    targets.push([
      ratio >= 0.8,
      `a no-op TypeScript handler keeps ≥ 0.8× of the no-handler decode rate: ${ratio.toFixed(2)}×`,
    ]);
  }
  if (has("json")) {
    const r = median(rates("json"));
    targets.push([r >= 1e6, `--json to /dev/null ≥ 1,000,000 events/s (drain): ${fmtRate(r)}`]);
  }
  if (has("live-json")) {
    const lost = samples.get("live-json")!.map((s) => s.lost);
    targets.push([
      lost.every((l) => l === 0),
      `zero lost events live (ecli run --json, default wakeups): lost ${lost.join("/")}`,
    ]);
  }
  console.log("targets");
  for (const [ok, what] of targets) console.log(`  ${ok ? "PASS" : "FAIL"} ${what}`);
  return targets.every(([ok]) => ok);
}

if (import.meta.main) {
  const { values, positionals } = parseArgs({
    args: Deno.args,
    options: {
      bun: { type: "boolean" },
      "no-bun": { type: "boolean" },
      "no-cli": { type: "boolean" },
      profile: { type: "string" },
      only: { type: "string" },
    },
    allowPositionals: true,
  });
  await runEventsBench({
    events: positionals[0] ? Number(positionals[0]) : undefined,
    runs: positionals[1] ? Number(positionals[1]) : undefined,
    bun: !values["no-bun"],
    cli: !values["no-cli"],
    profileDir: values.profile,
    only: values.only?.split(","),
  });
}
