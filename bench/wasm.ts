/**
 * wasm-bpf event path: records drained from a prefilled ring buffer through a wasm guest's
 * callback (`wasm_bpf_buffer_poll`: each record copied into guest memory, then one call into
 * the guest) against the same records into a TypeScript handler (`RingBufferReader`, the
 * reader `ecli run` uses), in the same run, interleaved, median of the rounds.
 *
 *   deno run -A bench/wasm.ts [N=200000] [runs=3]
 *
 * Both load bench/events/events.bpf.c (64-byte records, one per getpid(2) of a generator),
 * wait until the generator has made N calls (all records in the 16 MiB ring), then time one
 * drain; both handlers read one field per record. Root and kernel BTF needed.
 * @module
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { linkGuest, prepareBpf } from "../examples/wasm/build.ts";
import { RingBufferReader } from "../lib/export/mod.ts";
import { BpfObject } from "../lib/loader/mod.ts";
import { parseMeta } from "../lib/package/mod.ts";
import { startWasmModule } from "../lib/wasm/mod.ts";
import { kernelSkipReason } from "../tests/support/kernel.ts";

const ROOT = new URL("../", import.meta.url).pathname.replace(/\/$/, "");

/** The generator: prints its pid, makes N getpid calls after a line on stdin. */
function startGenerator(exe: string, n: number) {
  const child = new Deno.Command(exe, { args: [String(n)], stdin: "piped", stdout: "piped" })
    .spawn();
  const out = child.output();
  const writer = child.stdin.getWriter();
  return {
    pid: child.pid,
    go: () => writer.write(new TextEncoder().encode("go\n")).then(() => writer.close()),
    done: out,
  };
}

async function wasmSession(bytes: Uint8Array, exe: string, n: number): Promise<number> {
  const gen = startGenerator(exe, n);
  const lines: string[] = [];
  const run = startWasmModule(bytes, {
    args: ["drain.wasm", String(gen.pid), String(n)],
    onLine: (_s, l) => lines.push(l),
  });
  while (!lines.includes("ready")) {
    if (lines.length > 1) throw new Error(lines.join("\n"));
    await new Promise((r) => setTimeout(r, 10));
  }
  await gen.go();
  await gen.done;
  const r = await run.done;
  if (r.code !== 0) throw new Error(`guest: ${r.error ?? r.code} ${lines.join("\n")}`);
  const { records, seconds } = JSON.parse(lines.at(-1)!);
  return records / seconds;
}

async function tsSession(object: Uint8Array, exe: string, n: number): Promise<number> {
  const gen = startGenerator(exe, n);
  const meta = parseMeta({ bpf_skel: { obj_name: "bench_ts", data_sections: [] } });
  const obj = BpfObject.open({ object, meta });
  try {
    const rodata = obj.maps().find((m) => m.name.endsWith(".rodata"))!;
    obj.setVariables([{
      section: rodata.name.slice(rodata.name.indexOf(".")),
      name: "target_pid",
      bytes: new Uint8Array(new Uint32Array([gen.pid]).buffer),
    }]);
    obj.load();
    obj.attachOne({ name: "bench_getpid", attach: "tracepoint", link: true });
    let records = 0;
    let seqSum = 0n;
    const reader = new RingBufferReader(obj.map("rb"), {
      at: (view, offset) => {
        seqSum += view.getBigUint64(offset + 24, true);
        records++;
      },
    });
    await gen.go();
    await gen.done;
    const t0 = performance.now();
    while (records < n) reader.drain();
    const seconds = (performance.now() - t0) / 1000;
    await reader.close();
    return records / seconds;
  } finally {
    obj.close();
  }
}

/** Runs the benchmark and prints its table. */
export async function runWasmBench(n = 200_000, runs = 3): Promise<void> {
  const skip = kernelSkipReason();
  if (skip) {
    console.log(`wasm bench skipped: ${skip}`);
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), "ecli-bench-wasm-"));
  try {
    const gen = await prepareBpf(
      `${ROOT}/bench/events/events.bpf.c`,
      `${ROOT}/bench/events/event.h`,
    );
    const wasm = join(dir, "drain.wasm");
    linkGuest(gen, { guestSource: `${ROOT}/bench/wasm/drain.c`, output: wasm });
    const exe = join(dir, "gen");
    const cc = spawnSync("clang", ["-O2", "-o", exe, `${ROOT}/bench/events/gen.c`], {
      encoding: "utf8",
    });
    if (cc.status !== 0) throw new Error(cc.stderr);
    const bytes = new Uint8Array(readFileSync(wasm));
    const object = new Uint8Array(readFileSync(join(gen, "events.bpf.o")));
    rmSync(gen, { recursive: true, force: true });
    const w: number[] = [];
    const t: number[] = [];
    for (let i = 0; i < runs; i++) {
      w.push(await wasmSession(bytes, exe, n));
      t.push(await tsSession(object, exe, n));
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    const [mw, mt] = [median(w), median(t)];
    const rss = readFileSync("/proc/self/status", "utf8").match(/VmHWM:\s+(\d+) kB/)?.[1];
    const fmt = (r: number) => `${(r / 1e6).toFixed(2)} M/s`;
    console.log(
      `\nwasm-bpf drain (${n} records of 64 bytes, prefilled ring, median of ${runs}, ` +
        `${typeof Deno !== "undefined" ? "deno" : "bun"}):`,
    );
    console.log(`  TS handler (RingBufferReader)        ${fmt(mt)}   1.00`);
    console.log(`  wasm guest callback (buffer_poll)    ${fmt(mw)}   ${(mw / mt).toFixed(2)}× TS`);
    console.log(`  peak RSS of the bench process (both): ${Math.round(Number(rss) / 1024)} MB`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.main) {
  await runWasmBench(Number(process.argv[2] ?? 200_000), Number(process.argv[3] ?? 3));
}
