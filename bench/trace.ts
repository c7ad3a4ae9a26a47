/**
 * `ecli trace`: time from the command to its first event, with an empty build cache (clang
 * runs) and with the cache filled, against bpftrace running the
 * same one-liner in the same run (median of N, interleaved), with peak RSS (VmHWM) at the
 * first event. The one-liner: print the filename of openat(2) calls of one unique file, which
 * this process opens every 5 ms.
 *
 *   deno run -A bench/trace.ts [runs]
 * @module
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawnSync } from "node:child_process";
import { ensureBinary } from "../tools/build.ts";

const runs = Number(Deno.args[0] ?? 3);
const out = mkdtempSync(join(tmpdir(), "trace-bench-"));
const marker = join(out, "first-event-marker");
writeFileSync(marker, "x");
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function peakRssMb(pid: number): number {
  try {
    const m = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) / 1024 : NaN;
  } catch {
    return NaN;
  }
}

/** Milliseconds from spawn to `marker` on stdout, and peak RSS then; the file is opened meanwhile. */
async function toFirstEvent(cmd: string, args: string[], env?: Record<string, string>) {
  const opener = setInterval(() => readFileSync(marker), 5);
  const t0 = performance.now();
  const child = new Deno.Command(cmd, { args, env, stdout: "piped", stderr: "piped" }).spawn();
  const dec = new TextDecoder();
  let text = "";
  let ms = NaN;
  let rss = NaN;
  const errText = new Response(child.stderr).text();
  for await (const chunk of child.stdout) {
    text += dec.decode(chunk, { stream: true });
    if (Number.isNaN(ms) && text.includes(marker)) {
      ms = performance.now() - t0;
      rss = peakRssMb(child.pid);
      child.kill("SIGINT");
    }
  }
  clearInterval(opener);
  await child.status;
  if (Number.isNaN(ms)) throw new Error(`${cmd}: no event: ${await errText}`);
  return { ms, rss };
}

const ecli = ensureBinary();
const traceArgs = [
  "trace",
  "tracepoint:syscalls:sys_enter_openat",
  "--filter",
  `e.filename == ${JSON.stringify(marker)}`,
  "-e",
  "emit(e.filename)",
];
const bpftrace = spawnSync("sh", ["-c", "command -v bpftrace"], { encoding: "utf8" }).stdout.trim();
const bpftraceProgram =
  `tracepoint:syscalls:sys_enter_openat /str(args->filename) == "${marker}"/ ` +
  `{ printf("%s\\n", str(args->filename)); }`;

const rows: Record<string, { ms: number; rss: number }[]> = { cold: [], cached: [], bpftrace: [] };
for (let i = 0; i < runs; i++) {
  const cache = join(out, `cache-${i}`);
  const env = { ECLI_CACHE_DIR: cache };
  rows.cold.push(await toFirstEvent(ecli, traceArgs, env));
  rows.cached.push(await toFirstEvent(ecli, traceArgs, env));
  rmSync(cache, { recursive: true, force: true });
  if (bpftrace) rows.bpftrace.push(await toFirstEvent(bpftrace, ["-e", bpftraceProgram]));
}

const ref = bpftrace ? median(rows.bpftrace.map((r) => r.ms)) : NaN;
console.log(`\n## ecli trace: command to first event (median of ${runs}, same run)\n`);
console.log("| run | first event | vs bpftrace | peak RSS |");
console.log("| --- | ---: | ---: | ---: |");
const line = (name: string, rs: { ms: number; rss: number }[]) => {
  const ms = median(rs.map((r) => r.ms));
  const ratio = Number.isNaN(ref) ? "-" : `${(ms / ref).toFixed(2)}x`;
  console.log(
    `| ${name} | ${ms.toFixed(0)} ms | ${ratio} | ${median(rs.map((r) => r.rss)).toFixed(0)} MB |`,
  );
};
line("ecli trace, empty cache (clang runs)", rows.cold);
line("ecli trace, cached", rows.cached);
if (bpftrace) line("bpftrace -e (same one-liner)", rows.bpftrace);
else console.log("bpftrace: not installed (apt-get install bpftrace), its row is skipped");
rmSync(out, { recursive: true, force: true });
