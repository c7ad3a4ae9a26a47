/**
 * Event-path throughput: ecli's ring-buffer consumers against a plain libbpf C consumer, on
 * the real kernel, in the same run (root, kernel BTF).
 *
 *   deno run -A bench/events.ts [N=2000000] [runs=3] [--bun] [--profile DIR] [--only IDS]
 *
 * A tracepoint program (`events/events.bpf.c`) writes one 64-byte event per getpid(2) call of
 * a generator (`events/gen.c`) into a ring buffer with the kernel's default wakeups. Each
 * consumer is its own process (so its peak RSS, VmHWM, is its own):
 *
 * - drain (consumer ceiling): the ring is resized to hold all N records; the consumer loads
 *   and attaches, the generator makes its N calls while nobody reads, then the consumer times
 *   one drain of everything. Rows: C (`events/consumer.c`, `ring_buffer__consume`); ecli
 *   decoding every record to a JS object (`buildDecoder` + `RingBufferReader`, no-op sink);
 *   ecli's `--json` printer writing to /dev/null (`makePrinter` + `FdOutput`).
 * - live: 16 MiB ring, the generator at full speed while the consumer reads. Rows: C
 *   (`ring_buffer__poll`), `runPackage(…, { format: "json" })` to /dev/null, which is
 *   `ecli run --json`, and (diagnostic) the same run loop with a decode-only consumer.
 *   events/s = delivered / generator time; lost = N − delivered.
 *
 * Rows are interleaved (one session of each per round) and the median of the rounds is shown,
 * with its ratio to the C row of the same mode. The targets checked (PASS/FAIL): drain with
 * full decode ≥ 0.35× C; `--json` drain ≥ 1,000,000 events/s; nothing lost live.
 * `--bun` adds the ecli rows under Bun; `--profile DIR` runs the Deno consumers with
 * `--cpu-prof` (open the `.cpuprofile` files in Chrome DevTools or summarise them);
 * `--only decode,json` runs just those rows (and the C rows they are compared with).
 * @module
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { compile } from "../compile/mod.ts";
import { loadPackage } from "../lib/package/mod.ts";
import { kernelSkipReason } from "../tests/support/kernel.ts";
import { RECORD_BYTES } from "./events/layout.ts";

const ROOT = new URL("../", import.meta.url).pathname.replace(/\/$/, "");
const SRC = `${ROOT}/bench/events`;

/** How the benchmark runs. */
export interface EventsBenchOptions {
  /** getpid calls (events) per session. */
  events?: number;
  /** Rounds; each row's median over them is shown. */
  runs?: number;
  /** Also run the ecli rows under Bun. */
  bun?: boolean;
  /** Run the Deno consumers with `--cpu-prof`, writing the profiles into this directory. */
  profileDir?: string;
  /** Only these rows (ids: decode, json, live-json, live-decode, bun-…), plus the C rows. */
  only?: string[];
}

type Mode = "drain" | "live";

interface Row {
  id: string;
  label: string;
  mode: Mode;
  c: boolean;
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

/** A child process whose stdout is read line by line. */
class LineChild {
  readonly process: Deno.ChildProcess;
  #writer: WritableStreamDefaultWriter<Uint8Array>;
  #lines: ReadableStreamDefaultReader<string>;
  #buffered = "";

  constructor(cmd: string, args: string[]) {
    this.process = new Deno.Command(cmd, {
      args,
      cwd: ROOT,
      stdin: "piped",
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    this.#writer = this.process.stdin.getWriter();
    this.#lines = this.process.stdout.pipeThrough(new TextDecoderStream()).getReader();
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
    let last: string | undefined;
    for (let l = await this.line(); l !== undefined; l = await this.line()) last = l;
    return last;
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
  const row = (id: string, label: string, mode: Mode, command: Row["command"]): Row => ({
    id,
    label,
    mode,
    c: id.startsWith("c-"),
    command,
  });
  const rows: Row[] = [
    row("c-drain", "C libbpf ring_buffer__consume", "drain", cRow("drain")),
    row("decode", "ecli decode → JS objects", "drain", ecli("deno", "drain-decode")),
    row("handler", "ecli → no-op TS handler", "drain", ecli("deno", "drain-handler")),
    row("json", "ecli --json → /dev/null", "drain", ecli("deno", "drain-json")),
    row("c-live", "C libbpf ring_buffer__poll", "live", cRow("live")),
    row("live-json", "ecli run --json → /dev/null", "live", ecli("deno", "live-json")),
    row("live-decode", "ecli run, decode only (diagnostic)", "live", ecli("deno", "live-decode")),
  ];
  if (opts.bun) {
    rows.push(
      row("bun-decode", "bun: decode → JS objects", "drain", ecli("bun", "drain-decode")),
      row("bun-json", "bun: --json → /dev/null", "drain", ecli("bun", "drain-json")),
      row("bun-live-json", "bun: run --json → /dev/null", "live", ecli("bun", "live-json")),
    );
  }

  if (opts.only) {
    const keep = rows.filter((r) => r.c || opts.only!.includes(r.id));
    rows.splice(
      0,
      rows.length,
      ...keep.filter((r) => !r.c || keep.some((k) => !k.c && k.mode === r.mode)),
    );
  }
  const samples = new Map<string, Sample[]>(rows.map((r) => [r.id, []]));
  for (let run = 0; run < runs; run++) {
    for (const r of rows) {
      const ring = r.mode === "drain" ? drainRing : 16 << 20;
      samples.get(r.id)!.push(await session(r, n, genExe, ring));
    }
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
  for (const mode of ["drain", "live"] as const) {
    if (!rows.some((r) => r.mode === mode)) continue;
    console.log(
      mode === "drain"
        ? `drain: ring prefilled (${drainRing >> 20} MiB) while nobody reads, then one ` +
          `timed drain; events/s = events / drain time`
        : "live: 16 MiB ring, kernel default wakeups, generator at full speed; " +
          "events/s = delivered / generator time",
    );
    if (mode === "live" && n * RECORD_BYTES <= 16 << 20) {
      console.log("  (the ring holds all N events here, so no consumer can lose any: raise N)");
    }
    const modeRows = rows.filter((x) => x.mode === mode);
    const lostText = (r: Row) =>
      samples.get(r.id)!.map((s) =>
        r.c && (s.drops || s.gaps) ? `${s.lost} (drops ${s.drops}, gaps ${s.gaps})` : `${s.lost}`
      ).join("/");
    const lw = Math.max("lost (per run)".length, ...modeRows.map((r) => lostText(r).length));
    const extra = mode === "live"
      ? `${"producer".padStart(10)}  ${"lost (per run)".padEnd(lw)}`
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
        ? `${fmtRate(medianOf(r.id, (s) => s.gen.rate)).padStart(10)}  ${lostText(r).padEnd(lw)}`
        : "";
      console.log(
        `  ${r.label.padEnd(w)} ${fmtRate(median(rs)).padStart(10)} ` +
          `${ratio.toFixed(ratio < 0.1 ? 3 : 2).padStart(6)} ${cpu.toFixed(0).padStart(10)} ` +
          `${rss.padStart(9)}${more}  ${rs.map(fmtRate).join(", ")}`,
      );
    }
  }
  console.log(
    "  (peak RSS = VmHWM of the consumer process; it counts the mapped ring, twice its size)",
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
    options: { bun: { type: "boolean" }, profile: { type: "string" }, only: { type: "string" } },
    allowPositionals: true,
  });
  await runEventsBench({
    events: positionals[0] ? Number(positionals[0]) : undefined,
    runs: positionals[1] ? Number(positionals[1]) : undefined,
    bun: values.bun,
    profileDir: values.profile,
    only: values.only?.split(","),
  });
}
