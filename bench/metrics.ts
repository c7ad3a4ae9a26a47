/**
 * Cost of `/metrics` with a 1,000-series map: `ecli run tests/support/seqmap.bpf.c --metrics`
 * with 1,000 keys in its sampled map (one counter series each), scraped back to back. Reports
 * the scrape latency (median, p99) and the CPU the scrapes cost the ecli process (its CPU time
 * while scraped, minus its idle rate over the same wall time), against a reference measured
 * in the same run: a bare node:http server in its own process serving the same bytes.
 *
 *   deno run -A bench/metrics.ts [scrapes]     (root: it loads a BPF program)
 * @module
 */
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { seqmapPackage } from "../tests/support/build.ts";
import { buildHostTool, GETPID_GENERATOR, startGenerator } from "../tests/support/kernel.ts";
import { freePort } from "../tests/support/prometheus.ts";

const ROOT = new URL("../", import.meta.url).pathname.replace(/\/$/, "");
const scrapes = Number(Deno.args[0] ?? 300);
const SERIES = 1000;
const TICK_MS = 10; // USER_HZ = 100

/** utime + stime of a process, in ms. */
function cpuMs(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
  return (Number(f[11]) + Number(f[12])) * TICK_MS;
}

function peakRssMb(pid: number): number {
  const m = readFileSync(`/proc/${pid}/status`, "utf8").match(/^VmHWM:\s+(\d+) kB$/m);
  return Number(m?.[1] ?? 0) / 1024;
}

const pct = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))];

async function waitReady(child: Deno.ChildProcess, marker: RegExp): Promise<void> {
  const reader = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
  let err = "";
  const end = Date.now() + 30_000;
  while (!marker.test(err)) {
    const { value, done } = await reader.read();
    if (done || Date.now() > end) throw new Error(`not ready:\n${err}`);
    err += value;
  }
  // Keep draining, so the child never blocks on a full pipe.
  (async () => {
    while (!(await reader.read()).done) { /* discard */ }
  })();
}

/** Scrapes `url` `n` times back to back; returns per-scrape ms, CPU ms of `pid`, wall ms. */
async function scrapeLoop(url: string, n: number, pid: number) {
  const lat: number[] = [];
  const cpu0 = cpuMs(pid);
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const s = performance.now();
    const r = await fetch(url);
    await r.arrayBuffer();
    lat.push(performance.now() - s);
  }
  return { lat, cpu: cpuMs(pid) - cpu0, wall: performance.now() - t0 };
}

/** CPU ms `pid` uses over `ms` of wall time with nothing scraping it. */
async function idleCpu(pid: number, ms: number): Promise<number> {
  const c0 = cpuMs(pid);
  await new Promise((r) => setTimeout(r, ms));
  return cpuMs(pid) - c0;
}

export async function runMetricsBench(): Promise<void> {
  if (Deno.uid?.() !== 0) {
    console.log("metrics bench: skipped (needs root to load the BPF program)");
    return;
  }
  const work = mkdtempSync(join(tmpdir(), "ecli-metrics-bench-"));
  const pkg = await seqmapPackage(work);
  const gen = startGenerator(buildHostTool("getpid_gen", GETPID_GENERATOR));
  const port = freePort();
  const ecli = new Deno.Command("deno", {
    args: [
      "run",
      "-A",
      `${ROOT}/cli.ts`,
      "run",
      pkg,
      "--metrics",
      `127.0.0.1:${port}`,
      "--target_pid",
      String(gen.pid),
    ],
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const refPort = freePort();
  let ref: Deno.ChildProcess | undefined;
  try {
    await waitReady(ecli, / attached, printing /);
    await gen.round(SERIES);
    const url = `http://127.0.0.1:${port}/metrics`;
    let body = "";
    for (let i = 0; i < 100 && (body.match(/^seqmap_calls_total\{/gm) ?? []).length < SERIES; i++) {
      await new Promise((r) => setTimeout(r, 100));
      body = await (await fetch(url)).text();
    }
    const series = (body.match(/^seqmap_calls_total\{/gm) ?? []).length;
    // The reference: the same bytes from a bare node:http server (the HTTP cost alone).
    ref = new Deno.Command("deno", {
      args: [
        "eval",
        `import { createServer } from "node:http";
const body = ${JSON.stringify(body)};
createServer((q, s) => { s.writeHead(200, { "content-type": "text/plain; version=0.0.4" }); s.end(body); })
  .listen(${refPort}, "127.0.0.1", () => console.error("listening"));`,
      ],
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    }).spawn();
    await waitReady(ref, /listening/);
    // Warm-up, then interleaved halves so machine noise hits both alike.
    await scrapeLoop(url, 20, ecli.pid);
    await scrapeLoop(`http://127.0.0.1:${refPort}/metrics`, 20, ref.pid);
    const ours = { lat: [] as number[], cpu: 0, wall: 0 };
    const base = { lat: [] as number[], cpu: 0, wall: 0 };
    for (let half = 0; half < 2; half++) {
      for (
        const [acc, u, pid] of [[ours, url, ecli.pid], [
          base,
          `http://127.0.0.1:${refPort}/metrics`,
          ref.pid,
        ]] as const
      ) {
        const r = await scrapeLoop(u, scrapes / 2, pid);
        acc.lat.push(...r.lat);
        acc.cpu += r.cpu;
        acc.wall += r.wall;
      }
    }
    const idleMs = 3000;
    const idle = await idleCpu(ecli.pid, idleMs);
    const oursCpu = Math.max(0, ours.cpu - (idle * ours.wall) / idleMs) / scrapes;
    const baseCpu = base.cpu / scrapes;
    const med = (xs: number[]) => pct(xs, 0.5);
    console.log(
      `metrics bench: ${series} series (${
        (body.length / 1024).toFixed(0)
      } KiB of text per scrape), ${scrapes} scrapes each, same run`,
    );
    console.log(`  ${"endpoint".padEnd(30)} median ms  p99 ms  CPU ms/scrape  peak RSS`);
    console.log(
      `  ${"ecli run --metrics".padEnd(30)} ${med(ours.lat).toFixed(2).padStart(9)} ${
        pct(ours.lat, 0.99).toFixed(2).padStart(7)
      } ${oursCpu.toFixed(2).padStart(14)} ${peakRssMb(ecli.pid).toFixed(0).padStart(6)} MB`,
    );
    console.log(
      `  ${"reference: static node:http".padEnd(30)} ${med(base.lat).toFixed(2).padStart(9)} ${
        pct(base.lat, 0.99).toFixed(2).padStart(7)
      } ${baseCpu.toFixed(2).padStart(14)} ${peakRssMb(ref.pid).toFixed(0).padStart(6)} MB`,
    );
    console.log(
      `  ratio ecli/reference: latency ${(med(ours.lat) / med(base.lat)).toFixed(2)}x, CPU ${
        (oursCpu / Math.max(baseCpu, 0.001)).toFixed(2)
      }x; ` +
        `ecli idle (sampling + printing 1000 rows every 300 ms): ${
          (idle / idleMs * 100).toFixed(1)
        }% of a core`,
    );
  } finally {
    try {
      ecli.kill("SIGINT");
    } catch { /* gone */ }
    await ecli.status;
    try {
      ref?.kill("SIGTERM");
    } catch { /* gone */ }
    await ref?.status;
    await gen.close();
  }
}

if (import.meta.main) await runMetricsBench();
