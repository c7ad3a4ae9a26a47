/**
 * Decode-path micro-benchmark: the 64-byte event of the FFI measurements
 * `{u32 pid, u32 tid, u64 ts, char comm[16], u64 seq, u64 arg0, u32 cpu, u32 flags, u64 extra}`
 * decoded from a prefilled buffer of 4096 records (8 distinct `comm` values), as a ring reader
 * would hand them over. Each iteration decodes all 4096; events/s = 4096 / (time per iteration).
 *
 * Run: `deno bench lib/decode/decode_bench.ts`
 * @module
 */
import { BtfBuilder } from "../../tests/support/btf_builder.ts";
import { Kind, parseBtf } from "../btf/mod.ts";
import { buildDecoder, buildRowDecoder, structFields } from "./mod.ts";

const EVENTS = 4096;
const SIZE = 64;

function eventBtf() {
  const b = new BtfBuilder();
  const u32 = b.add("unsigned int", Kind.INT, 0, 4, [32]);
  const u64 = b.add("unsigned long long", Kind.INT, 0, 8, [64]);
  const char = b.add("char", Kind.INT, 0, 1, [(1 << 24) | 8]);
  const idx = b.add("__ARRAY_SIZE_TYPE__", Kind.INT, 0, 4, [32]);
  const comm = b.add("", Kind.ARRAY, 0, 0, [char, idx, 16]);
  const members: [string, number, number][] = [
    ["pid", u32, 0],
    ["tid", u32, 32],
    ["ts", u64, 64],
    ["comm", comm, 128],
    ["seq", u64, 256],
    ["arg0", u64, 320],
    ["cpu", u32, 384],
    ["flags", u32, 416],
    ["extra", u64, 448],
  ];
  const event = b.add(
    "event",
    Kind.STRUCT,
    members.length,
    SIZE,
    members.flatMap(([n, t, o]) => [b.str(n), t, o]),
  );
  return { btf: parseBtf(b.build()), event };
}

const { btf, event } = eventBtf();
const decode = buildDecoder(btf, event);
const decodeRow = buildRowDecoder(btf, structFields(btf, event));

const ring = new Uint8Array(EVENTS * SIZE);
const view = new DataView(ring.buffer);
const comms = ["bash", "systemd-journal", "kworker/0:1", "deno", "sshd", "cron", "python3", "node"];
for (let i = 0; i < EVENTS; i++) {
  const o = i * SIZE;
  view.setUint32(o, 4000 + i, true);
  view.setUint32(o + 4, 5000 + i, true);
  view.setBigUint64(o + 8, 1_700_000_000_000_000_000n + BigInt(i), true);
  ring.set(new TextEncoder().encode(comms[i % comms.length]), o + 24);
  view.setBigUint64(o + 40, BigInt(i), true);
  view.setBigUint64(o + 48, 0xffff_ffff_ffff_ffffn, true);
  view.setUint32(o + 56, i & 1, true);
  view.setUint32(o + 60, 0x80000000, true);
  view.setBigUint64(o + 64 - 8, 42n, true);
}

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
