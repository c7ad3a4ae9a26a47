/**
 * `ecli server` benchmark, on the real kernel (root, kernel BTF):
 *
 *   deno run -A bench/server.ts [--events N=500000] [--tasks 20] [--runtime deno|bun|binary]
 *
 * The server runs as its own process (`ecli server --port 0`, so its peak RSS is its own);
 * this script is the client, over loopback HTTP. The program is the event benchmark's
 * (`events/events.bpf.c`: one 64-byte ring-buffer record per getpid(2) of `--target_pid`).
 *
 * - start latency: `--tasks` tasks started one after another with `POST /task` (each filtering
 *   on a pid that makes no calls, so they idle), all running at once; median and p99 of the
 *   request times, then all stopped.
 * - followed log: one task with `export_json` filtering on a generator that makes N getpid
 *   calls at full speed; its log read through `GET /task/{id}/log?follow=1` (NDJSON, lines
 *   counted as they arrive). lines/s = lines / (generator start → last line). The reference in
 *   the same run: `ecli run PKG --json --count N --target_pid PID > /dev/null` of the same
 *   runtime, events/s = N / (generator start → exit).
 * - flood: a task whose log nobody reads while a generator makes 5N calls, twice (a new task
 *   each time): the server's RSS after each (VmRSS), its peak (VmHWM), and the lines the log
 *   cap dropped. Bounded = the second flood leaves the RSS where the first did.
 * @module
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { compile } from "../compile/mod.ts";
import { TaskClient } from "../lib/server/mod.ts";
import { kernelSkipReason } from "../tests/support/kernel.ts";
import { ensureBinary } from "../tools/build.ts";

const ROOT = new URL("../", import.meta.url).pathname.replace(/\/$/, "");
const SRC = `${ROOT}/bench/events`;

/** The command of the CLI under `runtime`. */
function cli(runtime: string, args: string[]): [string, string[]] {
  if (runtime === "bun") return ["bun", [`${ROOT}/cli.ts`, ...args]];
  if (runtime === "binary") return [`${ROOT}/dist/ecli`, args];
  return ["deno", ["run", "-A", `${ROOT}/cli.ts`, ...args]];
}

/** A child whose output lines we wait for. */
class Child {
  readonly process: Deno.ChildProcess;
  #text = "";
  #writer?: WritableStreamDefaultWriter<Uint8Array>;
  constructor(cmd: string, args: string[], watch: "stdout" | "stderr", stdin = false) {
    this.process = new Deno.Command(cmd, {
      args,
      cwd: ROOT,
      stdin: stdin ? "piped" : "null",
      stdout: watch === "stdout" ? "piped" : "null",
      stderr: watch === "stderr" ? "piped" : "null",
    }).spawn();
    if (stdin) this.#writer = this.process.stdin.getWriter();
    const stream = watch === "stdout" ? this.process.stdout : this.process.stderr;
    (async () => {
      const dec = new TextDecoder();
      // The server's request log is read and discarded as it comes (kept: the first 64 KiB).
      for await (const c of stream) {
        if (this.#text.length < 1 << 16) this.#text += dec.decode(c, { stream: true });
      }
    })();
  }
  get text(): string {
    return this.#text;
  }
  async waitFor(re: RegExp, ms = 30_000): Promise<RegExpExecArray> {
    const end = Date.now() + ms;
    for (;;) {
      const m = re.exec(this.#text);
      if (m) return m;
      if (Date.now() > end) throw new Error(`no ${re} within ${ms} ms:\n${this.#text}`);
      await new Promise((r) => setTimeout(r, 5));
    }
  }
  send(text: string): Promise<void> {
    return this.#writer!.write(new TextEncoder().encode(text));
  }
  async close(signal: Deno.Signal = "SIGKILL"): Promise<void> {
    await this.#writer?.close().catch(() => {});
    try {
      this.process.kill(signal);
    } catch { /* gone */ }
    await this.process.status;
  }
}

/** A getpid generator (`events/gen.c`): prints its pid, runs N calls on "go". */
async function generator(exe: string, n: number): Promise<{ gen: Child; pid: number }> {
  const gen = new Child(exe, [String(n)], "stdout", true);
  const pid = Number((await gen.waitFor(/^(\d+)\n/))[1]);
  return { gen, pid };
}

function kib(pid: number, field: "VmRSS" | "VmHWM" | "RssAnon"): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(
    readFileSync(`/proc/${pid}/status`, "utf8"),
  );
  return Number(m?.[1] ?? NaN);
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
};
const rate = (n: number) => n >= 1e6 ? `${(n / 1e6).toFixed(2)} M` : `${(n / 1e3).toFixed(0)} k`;

/** Runs the server benchmark and prints its table; false when it could not run. */
export async function runServerBench(
  opts: { events?: number; tasks?: number; runtime?: string } = {},
): Promise<boolean> {
  const skip = kernelSkipReason();
  if (skip) {
    console.log(`server bench: skipped (${skip})`);
    return false;
  }
  const n = opts.events ?? 500_000;
  const nTasks = opts.tasks ?? 20;
  const runtime = opts.runtime ?? "deno";
  if (runtime === "binary") await ensureBinary();
  const dir = mkdtempSync(join(tmpdir(), "ecli-server-bench-"));
  let server: Child | undefined;
  try {
    const r = await compile({
      source: `${SRC}/events.bpf.c`,
      exportHeader: `${SRC}/event.h`,
      outputDir: dir,
    });
    const pkg = readFileSync(r.files.package!);
    const genExe = join(dir, "gen");
    const cc = spawnSync("clang", ["-O2", "-o", genExe, `${SRC}/gen.c`], { encoding: "utf8" });
    if (cc.status !== 0) throw new Error(`clang gen.c: ${cc.stderr}`);

    const [bin, argv] = cli(runtime, ["server", "--port", "0"]);
    server = new Child(bin, argv, "stderr");
    const url = (await server.waitFor(/listening on (\S+)/))[1];
    const serverPid = server.process.pid;
    const client = new TaskClient(url);
    const start = (pid: number, json = false) =>
      client.start({
        bytes: pkg,
        type: "json",
        args: ["--target_pid", String(pid)],
        exportJson: json,
      });
    const idleRss = kib(serverPid, "VmRSS");

    const step = (what: string) => console.error(`server bench: ${what}`);
    step(`starting ${nTasks} tasks`);
    // 1. Many tasks at once: start latency.
    const latencies: number[] = [];
    const ids: number[] = [];
    for (let i = 0; i < nTasks; i++) {
      const t0 = performance.now();
      ids.push(await start(1));
      latencies.push(performance.now() - t0);
    }
    const running = (await client.list()).filter((t) => t.status === "running").length;
    const manyRss = kib(serverPid, "VmRSS");
    const manyAnon = kib(serverPid, "RssAnon");
    for (const id of ids) await client.stop(id);

    // 2. Followed log against `ecli run --json` to /dev/null.
    const followed = async () => {
      const { gen, pid } = await generator(genExe, n);
      const id = await start(pid, true);
      const res = await fetch(`${url}/task/${id}/log?follow=1`);
      const reader = res.body!.getReader();
      let lines = 0;
      let last = 0;
      const t0 = performance.now();
      await gen.send("go\n");
      // Lines the log cap dropped never come: stop once the generator is done and the stream
      // has been quiet for 3 s (a busy server sends in bursts).
      let genDone = false;
      gen.waitFor(/"calls"/, 120_000).then(() => genDone = true, () => genDone = true);
      let pending = reader.read();
      while (lines < n) {
        const idle = new Promise<"idle">((r) => setTimeout(() => r("idle"), 3000));
        const got = await Promise.race([pending, idle]);
        if (got === "idle") {
          if (genDone) break;
          continue;
        }
        if (got.done) break;
        for (let i = 0; i < got.value.length; i++) if (got.value[i] === 10) lines++;
        last = performance.now();
        pending = reader.read();
      }
      await reader.cancel().catch(() => {});
      const dropped = (await client.list()).find((t) => t.id === id)?.log_dropped ?? 0;
      await client.stop(id);
      await gen.close();
      return { lines, seconds: (last - t0) / 1000, dropped };
    };
    const direct = async () => {
      const { gen, pid } = await generator(genExe, n);
      const [b, a] = cli(runtime, [
        "run",
        r.files.package!,
        "--json",
        "--count",
        String(n),
        "--target_pid",
        String(pid),
      ]);
      const run = new Deno.Command(b, { args: a, cwd: ROOT, stdout: "null", stderr: "piped" })
        .spawn();
      const err = run.stderr.pipeThrough(new TextDecoderStream()).getReader();
      let text = "";
      while (!/ attached, printing /.test(text)) {
        const { value, done } = await err.read();
        if (done) throw new Error(`ecli run ended before attaching:\n${text}`);
        text += value;
      }
      const t0 = performance.now();
      await gen.send("go\n");
      const status = await run.status;
      const seconds = (performance.now() - t0) / 1000;
      await err.cancel().catch(() => {});
      await gen.close();
      if (!status.success) throw new Error(`ecli run failed (${status.code})`);
      return { lines: n, seconds };
    };
    const rounds = 3;
    const f: { lines: number; seconds: number; dropped: number }[] = [];
    const d: { lines: number; seconds: number }[] = [];
    for (let i = 0; i < rounds; i++) {
      step(`followed log vs ecli run, round ${i + 1}/${rounds}`);
      f.push(await followed());
      d.push(await direct());
    }
    const med = (xs: number[]) => pct(xs, 50);
    const fRate = med(f.map((x) => x.lines / x.seconds));
    const dRate = med(d.map((x) => x.lines / x.seconds));

    // 3. A flooding task whose log nobody reads: the log cap bounds the server.
    // Peak RSS from here on: writing 5 to clear_refs resets VmHWM to the current RSS.
    Deno.writeTextFileSync(`/proc/${serverPid}/clear_refs`, "5");
    const before = kib(serverPid, "VmRSS");
    const beforeAnon = kib(serverPid, "RssAnon");
    const anon: number[] = [];
    const rss: number[] = [];
    let floodTask = 0;
    let floodDropped = 0;
    for (let i = 0; i < 2; i++) {
      step(`flood ${i + 1}/2`);
      const { gen, pid } = await generator(genExe, n * 5);
      floodTask = await start(pid, true);
      await gen.send("go\n");
      await gen.waitFor(/"calls"/, 120_000);
      await new Promise((r) => setTimeout(r, 500));
      floodDropped = (await client.list()).find((t) => t.id === floodTask)?.log_dropped ?? 0;
      rss.push(kib(serverPid, "VmRSS"));
      anon.push(kib(serverPid, "RssAnon"));
      await client.stop(floodTask);
      await gen.close();
    }
    const peak = kib(serverPid, "VmHWM");

    const mb = (k: number) => `${(k / 1024).toFixed(0)} MiB`;
    console.log(`\nserver bench (${runtime}; loopback HTTP; events ${n})`);
    console.log(
      `  ${nTasks} tasks started one after another, all running (${running}): start latency ` +
        `median ${med(latencies).toFixed(1)} ms, p99 ${pct(latencies, 99).toFixed(1)} ms; ` +
        `server RSS idle ${mb(idleRss)}, with ${nTasks} tasks ${mb(manyRss)} (anonymous ` +
        `${mb(manyAnon)}; the rest is each task's 16 MiB ring buffer, mapped)`,
    );
    console.log(
      `  followed log (GET /task/{id}/log?follow=1, NDJSON): ${rate(fRate)} lines/s ` +
        `(lines ${f.map((x) => x.lines).join("/")} of ${n}, dropped ` +
        `${f.map((x) => x.dropped).join("/")}); ecli run --json > /dev/null: ${rate(dRate)} ` +
        `events/s; ratio ${(fRate / dRate).toFixed(2)} (median of ${rounds})`,
    );
    console.log(
      `  flood, log unread (cap 10000 lines): ${n * 5} events twice, ${floodDropped} lines ` +
        `dropped in the second; server RSS before ${mb(before)} (anonymous ${mb(beforeAnon)}), ` +
        `after the first ${mb(rss[0])} (${mb(anon[0])}), after the second ${mb(rss[1])} ` +
        `(${mb(anon[1])}); peak (VmHWM) ${mb(peak)}`,
    );
    return true;
  } finally {
    await server?.close("SIGTERM");
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.main) {
  const { values } = parseArgs({
    options: {
      events: { type: "string" },
      tasks: { type: "string" },
      runtime: { type: "string" },
    },
  });
  await runServerBench({
    events: values.events ? Number(values.events) : undefined,
    tasks: values.tasks ? Number(values.tasks) : undefined,
    runtime: values.runtime,
  });
}
