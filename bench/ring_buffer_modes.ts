/**
 * Ring-buffer throughput from JS, on the real kernel (root):
 * `deno run -A bench/ring_buffer_modes.ts [events]`.
 *
 * - drain ceiling: a generator calls getpid N times while nobody reads; a tracepoint program
 *   writes one 64-byte record per call into a 256 MiB ring; then `drain()` walks them all.
 *   Rate = N / drain time, for three handlers (count only, decode two u64, copy).
 * - live: the same with the reader running (`run()`), per wait mode; events/s is what the
 *   generator achieved, CPU ns/event is this process's user+sys time per delivered event.
 * @module
 */
import process from "node:process";
import { type BpfObject, loadObject } from "../lib/loader/mod.ts";
import {
  buildHostTool,
  buildPackage,
  GETPID_GENERATOR,
  kernelSkipReason,
  startGenerator,
  u32le,
} from "../tests/support/kernel.ts";
import { ffi } from "../ffi/mod.ts";
import { type PollOptions, RingBufferReader } from "../lib/export/mod.ts";

const SOURCE = `
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
const volatile u32 target_pid = 0;
struct event { u32 pid; u32 tid; u64 ts; char comm[16]; u64 seq; u64 arg; u32 cpu; u32 flags; u64 extra; };
struct { __uint(type, BPF_MAP_TYPE_RINGBUF); __uint(max_entries, 4096); } rb SEC(".maps");
u64 seq = 0;
u64 drops = 0;
SEC("tp/syscalls/sys_enter_getpid")
int ecli_bench_rb(void *ctx)
{
  u64 id = bpf_get_current_pid_tgid();
  if ((id >> 32) != target_pid) return 0;
  struct event *e = bpf_ringbuf_reserve(&rb, sizeof(*e), 0);
  if (!e) { __sync_fetch_and_add(&drops, 1); return 0; }
  e->pid = id >> 32;
  e->tid = (u32)id;
  e->ts = bpf_ktime_get_ns();
  bpf_get_current_comm(e->comm, sizeof(e->comm));
  e->seq = __sync_fetch_and_add(&seq, 1);
  e->arg = 0;
  e->cpu = bpf_get_smp_processor_id();
  e->flags = 0;
  e->extra = 0;
  bpf_ringbuf_submit(e, 0);
  return 0;
}
char LICENSE[] SEC("license") = "GPL";
`;

const skip = kernelSkipReason();
if (skip) {
  console.log(`ring buffer bench skipped: ${skip}`);
  Deno.exit(0);
}

const N = Number(Deno.args[0] ?? 2_000_000);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function bssU64(obj: BpfObject, name: string): number {
  const bss = obj.maps().find((m) => m.name.endsWith(".bss"))!;
  const value = new Uint8Array(bss.valueSize);
  ffi().libbpf.bpf_map_lookup_elem(bss.fd, new Uint32Array(1), value);
  return Number(new DataView(value.buffer).getBigUint64(obj.variable(".bss", name).offset, true));
}

const exe = buildHostTool("getpid_gen", GETPID_GENERATOR);
const pkg = await buildPackage("ecli_bench_rb", SOURCE);

async function session(
  ringBytes: number,
  body: (obj: BpfObject, gen: ReturnType<typeof startGenerator>) => Promise<void>,
) {
  const gen = startGenerator(exe);
  const obj = loadObject(pkg, {
    variables: [{ section: ".rodata", name: "target_pid", bytes: u32le(gen.pid) }],
    maxEntries: { rb: ringBytes },
  });
  try {
    await body(obj, gen);
  } finally {
    await gen.close();
    obj.close();
  }
}

type Handler = (b: Uint8Array) => void;
let sink = 0;
const handlers: Record<string, () => Handler> = {
  "count only": () => () => sink++,
  "decode pid+seq (DataView)": () => (b) => {
    const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
    sink += v.getUint32(0, true) + Number(v.getBigUint64(32, true));
  },
  "decode pid+seq (shared view)": () => {
    // Records are views into one ArrayBuffer (the ring): one DataView over it serves them all.
    let buf: ArrayBufferLike | undefined;
    let v: DataView;
    return (b) => {
      if (b.buffer !== buf) v = new DataView(buf = b.buffer);
      const o = b.byteOffset;
      sink += v.getUint32(o, true) + v.getUint32(o + 32, true) +
        v.getUint32(o + 36, true) * 2 ** 32;
    };
  },
  "copy (slice)": () => (b) => {
    sink += b.slice().length;
  },
};

console.log(`ring buffer drain ceiling: ${N} records of 64 bytes, prefilled, median of 3`);
for (const [name, make] of Object.entries(handlers)) {
  const rates: number[] = [];
  for (let run = 0; run < 3; run++) {
    await session(256 << 20, async (obj, gen) => {
      await gen.round(N);
      const drops = bssU64(obj, "drops");
      const rb = new RingBufferReader(obj.map("rb"), make());
      const t0 = performance.now();
      const n = rb.drain();
      const dt = (performance.now() - t0) / 1000;
      await rb.close();
      if (n !== N || drops) throw new Error(`delivered ${n} of ${N}, ${drops} drops`);
      rates.push(n / dt);
    });
  }
  console.log(
    `  ${name.padEnd(28)} ${(median(rates) / 1e6).toFixed(2)} M/s ` +
      `(${rates.map((r) => (r / 1e6).toFixed(2)).join(", ")}) ${
        (1e9 / median(rates)).toFixed(0)
      } ns/record`,
  );
}

const modes: Record<string, PollOptions> = {
  "epoll, 1 ms batching (default)": {},
  "epoll, 5 ms batching": { intervalMs: 5 },
  "epoll, wake per burst": { intervalMs: 0 },
  "timer 10 ms": { wait: "timer", intervalMs: 10 },
  "timer 1 ms": { wait: "timer", intervalMs: 1 },
};
const LIVE = Math.min(N, 1_000_000);
console.log(`live: ${LIVE} getpid calls while reading, 16 MiB ring, one run each`);
for (const [name, opts] of Object.entries(modes)) {
  await session(16 << 20, async (obj, gen) => {
    let got = 0;
    const rb = new RingBufferReader(obj.map("rb"), () => got++, opts);
    const running = rb.run();
    await new Promise((r) => setTimeout(r, 50));
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const genRate = await gen.round(LIVE);
    while (got + bssU64(obj, "drops") < LIVE && performance.now() - t0 < 30_000) {
      await new Promise((r) => setTimeout(r, 5));
    }
    const cpu = process.cpuUsage(cpu0);
    const wall = (performance.now() - t0) / 1000;
    rb.stop();
    await running;
    await rb.close();
    const drops = bssU64(obj, "drops");
    const cpuNs = ((cpu.user + cpu.system) * 1000) / Math.max(1, got);
    console.log(
      `  ${name.padEnd(32)} producer ${(genRate / 1e3).toFixed(0)} k/s, delivered ${got}, ` +
        `drops ${drops}, consumer CPU ${cpuNs.toFixed(0)} ns/event ` +
        `(${((cpu.user + cpu.system) / 1e4 / wall).toFixed(0)}% of a core)`,
    );
  });
}
console.log("latency of a lone event (getpid request → handler), median of 30, ms");
for (const [name, opts] of Object.entries(modes)) {
  await session(16 << 20, async (obj, gen) => {
    let arrived = 0;
    const rb = new RingBufferReader(obj.map("rb"), () => arrived = performance.now(), opts);
    const running = rb.run();
    const lat: number[] = [];
    for (let i = 0; i < 30; i++) {
      await new Promise((r) => setTimeout(r, 15 + (i % 7)));
      arrived = 0;
      const t0 = performance.now();
      await gen.round(1);
      while (!arrived) await new Promise((r) => setTimeout(r, 0));
      lat.push(arrived - t0);
    }
    rb.stop();
    await running;
    await rb.close();
    console.log(
      `  ${name.padEnd(32)} ${median(lat).toFixed(2)} (max ${Math.max(...lat).toFixed(2)})`,
    );
  });
}
if (sink === -1) console.log(sink);
