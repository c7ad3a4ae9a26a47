/**
 * Decode-path micro-benchmark: the 64-byte event of the FFI measurements
 * `{u32 pid, u32 tid, u64 ts, char comm[16], u64 seq, u64 arg0, u32 cpu, u32 flags, u64 extra}`
 * decoded from a prefilled buffer of 4096 records (8 distinct `comm` values), as a ring reader
 * would hand them over. Each iteration decodes all 4096; events/s = 4096 / (time per iteration).
 *
 * Run: `deno bench lib/decode/decode_bench.ts`
 * @module
 */
import { benchEvents, EVENT_SIZE as SIZE } from "../../tests/support/bench_event.ts";
import { buildDecoder, buildRowDecoder, structFields } from "./mod.ts";

const EVENTS = 4096;
const { btf, event, ring, view } = benchEvents(EVENTS);
const decode = buildDecoder(btf, event);
const decodeRow = buildRowDecoder(btf, structFields(btf, event));

let sink = 0;

Deno.bench("decode 4096 × 64-byte events (object)", { baseline: true }, () => {
  for (let i = 0; i < EVENTS; i++) {
    const e = decode(ring, i * SIZE) as { pid: number; comm: string };
    sink += e.pid + e.comm.length;
  }
});

Deno.bench("decode 4096 × 64-byte events (row array)", () => {
  for (let i = 0; i < EVENTS; i++) {
    const r = decodeRow(ring, i * SIZE);
    sink += (r[0] as number) + (r[3] as string).length;
  }
});

Deno.bench("read pid/comm only (raw DataView floor)", () => {
  for (let i = 0; i < EVENTS; i++) sink += view.getUint32(i * SIZE, true) + ring[i * SIZE + 24];
});

addEventListener("unload", () => {
  if (sink === -1) console.log(sink);
});
