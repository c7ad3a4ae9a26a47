/**
 * Event-path throughput: ecli's ring-buffer consumers against a plain libbpf C consumer, on
 * the real kernel, in the same run (root, kernel BTF).
 *
 *   deno run -A bench/events.ts [N=2000000] [runs=3] [--no-bun] [--no-cli] [--no-peers]
 *     [--profile DIR] [--only IDS]
 *
 * A tracepoint program (`events/events.bpf.c`) writes one 64-byte event per getpid(2) call of
 * a generator (`events/gen.c`) into a ring buffer with the kernel's default wakeups. Each
 * consumer is its own process (so its peak RSS, VmHWM, is its own):
 *
 * - drain (consumer ceiling): the ring holds all N records; the consumer loads and attaches,
 *   the generator makes its N calls while nobody reads, then the consumer's drain of
 *   everything is timed. Rows: C (`events/consumer.c`, `ring_buffer__consume`); the peers;
 *   - "(library)" rows: `events/ecli_consumer.ts` under Deno and Bun (`rb` resized before
 *     load), timing one `RingBufferReader.drain()` (the `{ at }` view form `ecli run` uses) in
 *     the script: the JS floor (`events/floor.ts`: six fields read with raw DataView calls per
 *     record, nothing decoded: as fast as any JS consumer of this ring walk can be); decoding
 *     to objects (`buildDecoder(…).at`); the handler path with a no-op `event` hook and the
 *     `event`, `view` and `batch` hooks of `events/handlers/` (each reads the six fields the C
 *     consumer reads); the `--json` and plain-table printers writing to /dev/null.
 *   - the real CLI, as a user runs it: `ecli run DRAIN_PKG … --target_pid PID` under Deno
 *     (`deno run -A cli.ts`), Bun (`bun cli.ts`) and the executable (`dist/ecli`, built first
 *     when a source is newer: `deno task compile --if-stale`), each with `--handler` of
 *     `events/handlers/` (object, view, batch, no-op), `--json` and the plain table. `ecli run`
 *     takes no map sizes, so DRAIN_PKG is the package built with `-DRB_BYTES=` the drain ring.
 *     Its stdout is a FIFO read by `events/count.c` (1 MiB pipe, memchr: far cheaper than the
 *     consumer; a pipe rather than a file, so the end of the drain is seen, not the exit).
 *     Once it says ` attached, printing ` on stderr it is frozen with SIGSTOP (not SIGTSTP,
 *     which ecli takes as pause: detach) while the generator runs, the program still attached
 *     and filling the ring; then SIGCONT, and the drain is timed until `count` has seen every
 *     line: N for `--json`, N + the header for plain, and for handlers the one `done` that
 *     `handlers/touch.ts` writes at the N-th event (`ECLI_BENCH_EVENTS=N`). CPU = the sum of
 *     its threads' /proc schedstat (ns) over that time; peak RSS = VmHWM read then, before a
 *     SIGINT ends it. Timing starts at SIGCONT, so it includes the first wakeup (Bun polls on
 *     a 10 ms timer) and the run loop's slices: what a user's drain costs.
 *   - warm-up: every JS row (library and CLI) first drains `WARM_UP_EVENTS` (200 k) untimed —
 *     the same fill and drain — so the timed drain runs JIT-compiled code, as any run does past
 *     its first events (cold, one 1 M drain measured mostly the compilers: Bun's batch row ran
 *     120 ns/event cold against 26 warm). C, Go and Python are compiled ahead or interpreted.
 * - live: 16 MiB ring, the generator at full speed while the consumer reads. Rows: C
 *   (`ring_buffer__poll`), `runPackage(…, { format: "json" })` to /dev/null, which is
 *   `ecli run --json`, (diagnostic) the same run loop with a decode-only consumer, the peers.
 *   events/s = delivered / generator time; lost = N − delivered.
 * - live, the real CLI: `ecli run PACKAGE --json --count N --target_pid PID` under Deno
 *   (`deno run -A cli.ts`), Bun (`bun cli.ts`) and the compiled executable (`dist/ecli`, built
 *   first when a source is newer: `deno task compile --if-stale`; also without `--json`, the
 *   plain table), each under `/usr/bin/time` (peak RSS, CPU). Ready = its stderr line
 *   ` attached, printing `; its stdout goes to a file on tmpfs, and delivered = the lines in it
 *   (lost = N − lines). CPU is counted from ready to exit (teardown included).
 * - peers (`peers/`, each skipped with one line when its tools are missing; `bash
 *   tools/setup.sh --peers` installs them from Debian): cilium/ebpf in Go (`ringbuf.Reader`,
 *   `Read()` and `binary.Read` into a struct as its examples do; built offline in GOPATH mode
 *   over Debian's sources), BCC in Python (`open_ring_buffer` with a callback decoding via
 *   `b["events"].event`), drained and live; bpftrace (`printf` of the same fields to a file,
 *   live only: 0.17 has no ring buffer output).
 *
 * Rows are interleaved (one session of each per round) and the median of the rounds is shown,
 * in one table, each as a ratio to the C consumer of the same mode. The targets are checked
 * (PASS/FAIL) on the executable users run, `dist/ecli`: its drain decode to objects
 * (`--handler object.ts`) ≥ `deno cli.ts`'s; its view and batch handlers ≥ 0.5× C; its
 * `--json` drain ≥ 4 M lines/s; its live `--json` ahead of every live peer (delivered/s, lost
 * no higher). Two more in the library harness on Bun, the executable's runtime (decoding
 * alone exists only there): decode ≥ Deno's, a no-op handler ≥ 0.9× of decoding alone.
 * `--no-bun` leaves out the Bun rows (not dist/ecli's), `--no-cli` the real-CLI rows (drain
 * and live, dist/ecli's too), `--no-peers` the peers; `--profile DIR` runs the library
 * consumers with `--cpu-prof`; `--only IDS` runs just those rows (and the C rows they are
 * compared with): library drain floor, decode, handler, object, view, batch, json, plain
 * (`bun-` + id under Bun); CLI drain `exe-`, `bun-cli-` or `deno-cli-` + object, view, batch,
 * noop, json, plain; live ids as listed in `EventsBenchOptions.only`.
 * @module
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { compile } from "../compile/mod.ts";
import { loadPackage } from "../lib/package/mod.ts";
import { kernelSkipReason } from "../tests/support/kernel.ts";
import { ensureBinary } from "../tools/build.ts";
import { RECORD_BYTES } from "./events/layout.ts";
import { preparePeers } from "./peers/peers.ts";

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
   * The real CLI rows, `ecli run` under `deno run`, `bun` and `dist/ecli`, drained and live
   * (default: true; builds `dist/ecli` first when it is stale).
   */
  cli?: boolean;
  /** The peers of `peers/` (Go, Python, bpftrace), where installed (default: true). */
  peers?: boolean;
  /** Run the Deno consumers with `--cpu-prof`, writing the profiles into this directory. */
  profileDir?: string;
  /**
   * Only these rows (ids: floor, decode, handler, object, view, batch, json, plain, live-json,
   * live-decode, the same with a `bun-` prefix; exe-, bun-cli-, deno-cli- + object, view,
   * batch, noop, json, plain; go-drain, go-live, py-drain, py-live, cli-bpftrace, cli-deno,
   * cli-deno-metrics, cli-bun, cli-binary, cli-binary-plain), plus the C rows.
   */
  only?: string[];
}

type Mode = "drain" | "live";

interface Row {
  id: string;
  label: string;
  mode: Mode;
  c: boolean;
  /** A peer (Go, Python, bpftrace): lost = N − events, as for C. */
  peer?: boolean;
  /** A CLI row whose events are the output lines that start with a digit (bpftrace's). */
  digitLines?: boolean;
  /** A consumer speaking the READY protocol, or the real `ecli run` CLI (live only). */
  cli: boolean;
  /**
   * The real CLI in drain mode (`cliDrainSession`): its stdout lines once `events` events are
   * out, at the end of drain `round` (0: the warm-up) — a handler's `done` lines; `--json`
   * `events`; plain `events` + the header.
   */
  drainLines?: (events: number, round: number) => number;
  /**
   * Drain rows of JIT-compiled consumers: events drained untimed first, so the timed drain runs
   * compiled code, as every run after its first events does.
   */
  warm?: number;
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

  constructor(
    cmd: string,
    args: string[],
    lines: "stdout" | "stderr" = "stdout",
    env?: Record<string, string>,
  ) {
    this.process = new Deno.Command(cmd, {
      args,
      cwd: ROOT,
      env,
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

/** Events of the warm-up drain of a JIT-compiled consumer (at most N). */
const WARM_UP_EVENTS = 200_000;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Smallest power of two ≥ `n`. */
function pow2AtLeast(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

/** Lets the generator make its N calls; resolves with what it reports. */
async function generate(gen: LineChild, calls?: number): Promise<Sample["gen"]> {
  await gen.send(calls ? `${calls}\n` : "go\n");
  const line = await within(gen.line(), 600_000, "generator result");
  if (!line) throw new Error("generator exited without a result");
  return JSON.parse(line);
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
    if (row.mode === "drain" && row.warm) {
      await generate(gen, row.warm);
      await consumer.send("warm\n");
      const warmed = await within(consumer.line(), 120_000, `${row.label}: warm-up`);
      if (warmed !== "WARM") throw new Error(`${row.label}: expected WARM, got ${warmed}`);
    }
    const genResult = await generate(gen);
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
    const lost = row.c || row.peer ? n - r.events : r.lost;
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

/**
 * CPU nanoseconds a live process has used so far: the sum of its threads' schedstat (exact to
 * the ns, where /proc/PID/stat counts 10 ms ticks), or `procCpuSeconds` without schedstats.
 */
function procCpuNs(pid: number): number {
  try {
    let ns = 0;
    for (const t of Deno.readDirSync(`/proc/${pid}/task`)) {
      ns += Number(readFileSync(`/proc/${pid}/task/${t.name}/schedstat`, "utf8").split(" ")[0]);
    }
    return ns;
  } catch {
    return procCpuSeconds(pid) * 1e9;
  }
}

/** Peak resident set size (VmHWM, kB) of a live process. */
function procPeakRssKb(pid: number): number {
  const m = readFileSync(`/proc/${pid}/status`, "utf8").match(/^VmHWM:\s+(\d+) kB$/m);
  return m ? Number(m[1]) : -1;
}

/** Waits for the CLI's ` attached, printing ` line on stderr; returns the lines before it. */
async function attached(consumer: LineChild, row: Row): Promise<string[]> {
  const said: string[] = [];
  for (;;) {
    const line = await within(consumer.line(), 60_000, `${row.label}: attached`);
    if (line === undefined) throw new Error(`${row.label} exited:\n${said.join("\n")}`);
    if (line.includes(" attached, printing ")) return said;
    said.push(line);
  }
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
    const said = await attached(consumer, row);
    const t0 = performance.now();
    child = await childOf(consumer.process.pid);
    const cpu0 = procCpuSeconds(child);
    const genResult = await generate(gen);
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
    const wc = row.digitLines
      ? spawnSync("grep", ["-c", "^[0-9]", out], { encoding: "utf8" })
      : spawnSync("wc", ["-l", out], { encoding: "utf8" });
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

/**
 * One drain session of the real CLI, as a user runs it: `<runtime> run DRAIN_PKG … --target_pid
 * PID > FIFO`, with `count` reading the FIFO. Once attached it is frozen (SIGSTOP: its program
 * stays attached and fills the ring, which holds all N records) while the generator runs, then
 * woken (SIGCONT) and timed until `count` has seen all its lines; CPU (its threads' schedstat)
 * and VmHWM are read from /proc then, before SIGINT ends it. See the module doc.
 */
async function cliDrainSession(
  row: Row,
  n: number,
  genExe: string,
  countExe: string,
  outDir: string,
): Promise<Sample> {
  const gen = new LineChild(genExe, [String(n)]);
  let consumer: LineChild | undefined;
  let counter: LineChild | undefined;
  let exited = false;
  const genPid = Number(await within(gen.line(), 10_000, "generator pid"));
  const fifo = join(outDir, `stdout-${genPid}`);
  const warm = row.warm ?? 0;
  const lines = row.drainLines!(warm + n, warm ? 1 : 0);
  try {
    const mk = spawnSync("mkfifo", ["-m", "600", fifo], { encoding: "utf8" });
    if (mk.status !== 0) throw new Error(`mkfifo ${fifo} failed: ${mk.stderr}`);
    const thresholds = warm ? [row.drainLines!(warm, 0), lines] : [lines];
    counter = new LineChild(countExe, [fifo, ...thresholds.map(String)]);
    const [cmd, args] = row.command(genPid, 0);
    consumer = new LineChild(
      "sh",
      ["-c", 'out=$1; shift; exec "$@" > "$out"', "sh", fifo, cmd, ...args],
      "stderr",
      // The handlers of handlers/ print `done` on stdout at the N-th event (touch.ts).
      { ECLI_BENCH_EVENTS: warm ? `${warm},${warm + n}` : String(n) },
    );
    const pid = consumer.process.pid; // sh execs the CLI: the same process
    const said = await attached(consumer, row);
    // SIGSTOP, not SIGTSTP: ecli takes Ctrl-Z as pause (detach), this one it cannot catch.
    Deno.kill(pid, "SIGSTOP");
    if (warm) {
      // The warm-up: the same freeze, fill and drain, untimed.
      await generate(gen, warm);
      Deno.kill(pid, "SIGCONT");
      const warmed = await within(counter.line(), 120_000, `${row.label}: warm-up`);
      if (warmed !== "done") throw new Error(`${row.label}: warm-up ended with ${warmed}`);
      Deno.kill(pid, "SIGSTOP");
    }
    const genResult = await generate(gen);
    const cpu0 = procCpuNs(pid);
    const t0 = performance.now();
    Deno.kill(pid, "SIGCONT");
    const first = counter.line();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<"timeout">((r) => {
      timer = setTimeout(() => r("timeout"), Math.max(30_000, n / 20));
    });
    const done = await Promise.race([first, timeout]);
    clearTimeout(timer);
    const seconds = (performance.now() - t0) / 1000;
    const cpuNs = procCpuNs(pid) - cpu0;
    const rssKb = procPeakRssKb(pid);
    Deno.kill(pid, "SIGINT");
    said.push(...await within(consumer.rest(), 60_000, `${row.label}: exit`));
    const status = await consumer.process.status;
    exited = true;
    if (!status.success) {
      throw new Error(`${row.label}: exit code ${status.code}:\n${said.join("\n")}`);
    }
    // Short of its lines (events lost, or none at all): what it printed before SIGINT.
    const tail = done === "done" ? await counter.lastLine() : await first;
    const total = Number(tail?.match(/^total (\d+)$/)?.[1] ?? 0);
    const events = done === "done" ? n : Math.max(0, n - (lines - total));
    return {
      events,
      seconds,
      cpu_seconds: cpuNs / 1e9,
      max_rss_kb: rssKb,
      lost: n - events,
      gen: genResult,
    };
  } finally {
    if (consumer && !exited) {
      try {
        Deno.kill(consumer.process.pid, "SIGKILL");
      } catch { /* already gone */ }
    }
    await consumer?.close();
    await counter?.close();
    await gen.close();
    rmSync(fifo, { force: true });
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
  const countExe = join(dir, "count");
  clang(genExe, [`${SRC}/gen.c`]);
  clang(consumerExe, [`${SRC}/consumer.c`], [`-I${SRC}`, "-lbpf"]);
  clang(countExe, [`${SRC}/count.c`]);

  const drainRing = pow2AtLeast(Math.max(n * RECORD_BYTES, 16 << 20));
  // `ecli run` takes no map sizes: its drain rows run a package built with the drain ring.
  const drainPkgPath = (await compile({
    source: `${SRC}/events.bpf.c`,
    exportHeader: `${SRC}/event.h`,
    outputDir: join(dir, "drain"),
    cflags: [`-DRB_BYTES=${drainRing}`],
    log: () => {},
  })).files.package!;
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
      return runtime === "deno"
        ? ["deno", ["run", "-A", ...prof, ...args]]
        : ["bun", [...prof, ...args]];
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
  let binary: string | undefined;
  const binaryWanted = !opts.only || opts.only.some((id) => /^(cli-binary|exe-)/.test(id));
  if ((opts.cli ?? true) && binaryWanted) {
    try {
      const t0 = performance.now();
      binary = ensureBinary();
      const ms = performance.now() - t0;
      if (ms > 1000) notes.push(`dist/ecli was stale: rebuilt in ${(ms / 1000).toFixed(0)} s`);
    } catch (e) {
      notes.push(`no dist/ecli row: ${(e as Error).message.split("\n")[0]}`);
    }
  }
  // A library drain row under Deno and, when there is Bun, the same under Bun (`bun-` + id).
  // JIT-compiled consumers get a warm-up drain first (`Row.warm`).
  const warm = Math.min(n, WARM_UP_EVENTS);
  const drainRows = (id: string, what: string, mode: string): Row[] => [
    { ...row(id, `deno (library): ${what}`, "drain", ecli("deno", mode)), warm },
    ...(bun
      ? [{ ...row(`bun-${id}`, `bun (library): ${what}`, "drain", ecli("bun", mode)), warm }]
      : []),
  ];
  // `--profile DIR` profiles the CLI rows under deno and bun too.
  const cliProf = (rt: string) =>
    opts.profileDir
      ? [
        "--cpu-prof",
        `--cpu-prof-dir=${opts.profileDir}`,
        `--cpu-prof-name=${rt}-cli-${Date.now()}.cpuprofile`,
      ]
      : [];
  // The real CLI drained: each form under `deno run -A cli.ts`, `bun cli.ts` and dist/ecli.
  const runtimes = [
    {
      id: "deno-cli",
      name: "deno cli.ts",
      argv: ["deno", "run", "-A", ...cliProf("deno"), "cli.ts"],
    },
    ...(bun
      ? [{ id: "bun-cli", name: "bun cli.ts", argv: ["bun", ...cliProf("bun"), "cli.ts"] }]
      : []),
    ...(binary ? [{ id: "exe", name: "dist/ecli", argv: [binary] }] : []),
  ];
  // Each form's flags, and its stdout lines once every event is out.
  const forms = [
    ...["object", "view", "batch", "noop"].map((h) => ({
      id: h,
      what: `--handler ${h}.ts`,
      flags: ["--handler", `${SRC}/handlers/${h}.ts`],
      lines: (_k: number, round: number) => round + 1,
    })),
    { id: "json", what: "--json | count", flags: ["--json"], lines: (k: number) => k },
    { id: "plain", what: "(plain) | count", flags: [], lines: (k: number) => k + 1 },
  ];
  const cliDrainRows = forms.flatMap((f) =>
    runtimes.map((rt): Row => ({
      ...row(`${rt.id}-${f.id}`, `${rt.name} ${f.what}`, "drain", (pid) => [
        rt.argv[0],
        [...rt.argv.slice(1), "run", drainPkgPath, ...f.flags, "--target_pid", String(pid)],
      ]),
      drainLines: f.lines,
      warm,
    }))
  );
  const rows: Row[] = [
    row("c-drain", "C libbpf ring_buffer__consume", "drain", cRow("drain")),
    ...drainRows("floor", "JS floor, raw DataView reads", "drain-floor"),
    ...drainRows("decode", "decode → JS objects", "drain-decode"),
    ...drainRows("handler", "→ no-op TS handler", "drain-handler"),
    ...drainRows("object", "event handler (reads 6 fields)", "drain-object"),
    ...drainRows("view", "view handler (same fields)", "drain-view"),
    ...drainRows("batch", "batch handler (same fields)", "drain-batch"),
    ...drainRows("json", "--json → /dev/null", "drain-json"),
    ...drainRows("plain", "plain table → /dev/null", "drain-plain"),
    ...(opts.cli ?? true ? cliDrainRows : []),
    row("c-live", "C libbpf ring_buffer__poll", "live", cRow("live")),
    row(
      "live-json",
      "deno (library): runPackage --json → /dev/null",
      "live",
      ecli("deno", "live-json"),
    ),
    ...(bun
      ? [
        row(
          "bun-live-json",
          "bun (library): runPackage --json → /dev/null",
          "live",
          ecli("bun", "live-json"),
        ),
      ]
      : []),
    row(
      "live-decode",
      "deno (library): runPackage, decode only (diagnostic)",
      "live",
      ecli("deno", "live-decode"),
    ),
  ];
  if (opts.peers ?? true) {
    const peers = preparePeers(dir);
    notes.push(...peers.notes);
    const peerRow = (id: string, label: string, mode: Mode, command: Row["command"]): Row => ({
      ...row(id, label, mode, command),
      peer: true,
    });
    const { go, bcc, bpftrace } = peers;
    const goCommand = (mode: Mode) => (pid: number, ring: number): [string, string[]] => [
      go![0],
      [...go!.slice(1), objPath, mode, String(pid), String(n), String(ring)],
    ];
    const bccCommand = (mode: Mode) => (pid: number, ring: number): [string, string[]] => [
      "env",
      [
        ...Object.entries(bcc!.env).map(([k, v]) => `${k}=${v}`),
        ...bcc!.argv,
        mode,
        String(pid),
        String(n),
        String(ring),
      ],
    ];
    if (go) {
      rows.push(
        peerRow("go-drain", "Go cilium/ebpf Read + binary.Read", "drain", goCommand("drain")),
        peerRow("go-live", "Go cilium/ebpf Read + binary.Read", "live", goCommand("live")),
      );
    }
    if (bcc) {
      rows.push(
        peerRow("py-drain", "Python BCC ring_buffer_consume", "drain", bccCommand("drain")),
        peerRow("py-live", "Python BCC ring_buffer_poll", "live", bccCommand("live")),
      );
    }
    if (bpftrace) {
      // bpftrace 0.17 prints through a perf buffer (no ring buffer output); 16 MiB per CPU.
      // BEGIN tells the harness it is attached (the line the CLI rows wait for).
      const script = (pid: number) =>
        `BEGIN { system("echo ' attached, printing ' >&2"); } ` +
        `tracepoint:syscalls:sys_enter_getpid /pid == ${pid}/ ` +
        `{ printf("%d %d %d %llu %s\\n", pid, tid, cpu, nsecs, comm); }`;
      rows.push({
        ...row("cli-bpftrace", "bpftrace printf → file (perf buffer)", "live", (pid) => [
          "env",
          ["BPFTRACE_PERF_RB_PAGES=4096", bpftrace, "--unsafe", "-e", script(pid)],
        ]),
        peer: true,
        digitLines: true,
      });
    }
  }
  if (opts.cli ?? true) {
    rows.push(
      row("cli-deno", "deno cli.ts --json > file", "live", cliRow(["deno", "run", "-A", "cli.ts"])),
      // What counting events for /metrics costs on the event path.
      row(
        "cli-deno-metrics",
        "deno cli.ts --json --metrics > file",
        "live",
        cliRow(["deno", "run", "-A", "cli.ts"], ["--metrics", "127.0.0.1:0"]),
      ),
    );
    if (bun) {
      rows.push(row("cli-bun", "bun cli.ts --json > file", "live", cliRow(["bun", "cli.ts"])));
    }
    if (binary) {
      rows.push(row("cli-binary", "dist/ecli --json > file", "live", cliRow([binary])));
      // The plain table: its header line is not an event (rows start with the time).
      const plain = (pid: number): [string, string[]] => {
        const [cmd, args] = cliRow([binary!])(pid);
        return [cmd, args.filter((a) => a !== "--json")];
      };
      rows.push({
        ...row("cli-binary-plain", "dist/ecli (plain) > file", "live", plain),
        digitLines: true,
      });
    }
  }

  if (opts.only) {
    const keep = rows.filter((r) => r.c || opts.only!.includes(r.id));
    rows.splice(
      0,
      rows.length,
      ...keep.filter((r) => !r.c || keep.some((k) => !k.c && k.mode === r.mode)),
    );
  }
  // The CLI rows' stdout (and the drain rows' FIFOs): tmpfs when there is one, so that
  // writing it costs no disk.
  const outDir = mkdtempSync(join(existsSync("/dev/shm") ? "/dev/shm" : dir, "ecli-bench-out-"));
  const samples = new Map<string, Sample[]>(rows.map((r) => [r.id, []]));
  // The machine is shared: how busy it was tells how far wall-clock rates are to be trusted.
  const load = () => readFileSync("/proc/loadavg", "utf8").split(" ")[0];
  const loadBefore = load();
  try {
    for (let run = 0; run < runs; run++) {
      for (const r of rows) {
        const ring = r.mode === "drain" ? drainRing : 16 << 20;
        samples.get(r.id)!.push(
          r.drainLines
            ? await cliDrainSession(r, n, genExe, countExe, outDir)
            : r.cli
            ? await cliSession(r, n, genExe, outDir)
            : await session(r, n, genExe, ring),
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
  notes.push(
    `load average ${loadBefore} before, ${load()} after, on ${cpus().length} CPUs: where it ` +
      "exceeds the CPUs, the consumers wait for a CPU and events/s falls; CPU ns/ev holds",
  );
  for (const note of notes) console.log(`  (${note})`);
  const drainLine = `drain: ring prefilled (${drainRing >> 20} MiB) while nobody reads, then ` +
    `one timed drain; events/s = events / drain time`;
  const liveLine = "live: 16 MiB ring, kernel default wakeups, generator at full speed; " +
    "events/s = delivered / generator time";
  for (const line of [drainLine, liveLine]) console.log(`  ${line}`);
  if (rows.some((r) => r.cli)) {
    console.log(
      "  CLI rows: `… run PKG --json --count N --target_pid PID > file` (tmpfs), under " +
        "/usr/bin/time; ready = ` attached, printing ` on stderr; CPU from ready to exit; " +
        "lost = N − lines printed",
    );
  }
  if (rows.some((r) => r.drainLines)) {
    console.log(
      "  CLI drain rows: `… run PKG_WITH_DRAIN_RING [--handler H | --json] --target_pid PID | " +
        "count`, SIGSTOPped once attached while the generator runs, timed from SIGCONT until " +
        "count has its lines (handlers: one `done` at the N-th event); CPU and RSS from /proc",
    );
  }
  if (n * RECORD_BYTES <= 16 << 20) {
    console.log("  (the live ring holds all N events here, so no consumer can lose any: raise N)");
  }
  // One table: every row with its mode; × C is against the C consumer of the same mode.
  const lostText = (r: Row) =>
    samples.get(r.id)!.map((s) =>
      r.c && (s.drops || s.gaps) ? `${s.lost} (drops ${s.drops}, gaps ${s.gaps})` : `${s.lost}`
    ).join("/");
  const lw = Math.max("lost (per run)".length, ...rows.map((r) => lostText(r).length));
  console.log(
    `  ${"consumer".padEnd(w)} ${"mode".padEnd(5)} ${"events/s".padStart(10)}    × C` +
      `  CPU ns/ev  peak RSS  ${"lost (per run)".padEnd(lw)}  runs`,
  );
  for (const mode of ["drain", "live"] as const) {
    for (const r of rows.filter((x) => x.mode === mode)) {
      const rs = rates(r.id);
      const ratio = median(rs) / cRate[mode];
      const cpu = medianOf(r.id, (s) => (s.cpu_seconds * 1e9) / Math.max(1, s.events));
      const rss = mb(medianOf(r.id, (s) => s.max_rss_kb));
      console.log(
        `  ${r.label.padEnd(w)} ${mode.padEnd(5)} ${fmtRate(median(rs)).padStart(10)} ` +
          `${ratio.toFixed(ratio < 0.1 ? 3 : 2).padStart(6)} ${cpu.toFixed(0).padStart(10)} ` +
          `${rss.padStart(9)}  ${lostText(r).padEnd(lw)}  ${rs.map(fmtRate).join(", ")}`,
      );
    }
  }
  console.log(
    "  (peak RSS = VmHWM of the consumer process; it counts the mapped ring, twice its size. " +
      "(library) rows run ecli's modules from a script (events/ecli_consumer.ts) and time " +
      "one drain() call in it; dist/ecli, bun cli.ts and deno cli.ts rows are `ecli run` itself)",
  );

  // The targets are checked on the executable users run, dist/ecli.
  const targets: [boolean, string][] = [];
  const m = (id: string) => (has(id) ? median(rates(id)) : NaN);
  if (has("exe-object") && has("deno-cli-object")) {
    targets.push([
      m("exe-object") >= m("deno-cli-object"),
      `dist/ecli drain decode to objects (--handler object.ts) ≥ deno cli.ts's: ` +
      `${fmtRate(m("exe-object"))} vs ${fmtRate(m("deno-cli-object"))}`,
    ]);
  }
  for (const id of ["exe-view", "exe-batch"]) {
    if (!has(id)) continue;
    const ratio = m(id) / cRate.drain;
    targets.push([ratio >= 0.5, `${byId(id).label} ≥ 0.5× C (drain): ${ratio.toFixed(3)}×`]);
  }
  // The same two in one harness, the library's, on Bun (the executable's runtime): decoding
  // alone exists only there (every CLI form hands the events to something).
  if (has("bun-decode") && has("decode")) {
    targets.push([
      m("bun-decode") >= m("decode"),
      `${byId("bun-decode").label} ≥ ${byId("decode").label}: ` +
      `${fmtRate(m("bun-decode"))} vs ${fmtRate(m("decode"))}`,
    ]);
  }
  if (has("bun-handler") && has("bun-decode")) {
    const ratio = m("bun-handler") / m("bun-decode");
    targets.push([
      ratio >= 0.9,
      `${byId("bun-handler").label} ≥ 0.9× of decoding alone (${byId("bun-decode").label}): ` +
      `${ratio.toFixed(2)}×`,
    ]);
  }
  if (has("exe-json")) {
    targets.push([
      m("exe-json") >= 4e6,
      `${byId("exe-json").label} ≥ 4 M lines/s (drain): ${fmtRate(m("exe-json"))}`,
    ]);
  }
  const ours = has("cli-binary") ? ["cli-binary"] : ["live-json", "bun-live-json"].filter(has);
  const peersLive = rows.filter((r) => r.peer && r.mode === "live");
  for (const id of ours) {
    for (const p of peersLive) {
      const lostOurs = median(samples.get(id)!.map((s) => s.lost));
      const lostPeer = median(samples.get(p.id)!.map((s) => s.lost));
      targets.push([
        m(id) >= m(p.id) && lostOurs <= lostPeer,
        `${byId(id).label} live ahead of ${p.label}: ${fmtRate(m(id))} (lost ${lostOurs}) vs ` +
        `${fmtRate(m(p.id))} (lost ${lostPeer})`,
      ]);
    }
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
      "no-peers": { type: "boolean" },
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
    peers: !values["no-peers"],
    profileDir: values.profile,
    only: values.only?.split(","),
  });
}
