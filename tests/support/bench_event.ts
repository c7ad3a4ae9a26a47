/**
 * The micro-benchmarks' event: the 64-byte record of the FFI measurements
 * `{u32 pid, u32 tid, u64 ts, char comm[16], u64 seq, u64 arg0, u32 cpu, u32 flags, u64 extra}`,
 * its BTF, and a buffer of `count` such records (8 distinct `comm` values) laid out back to
 * back, as a ring reader hands them over.
 * @module
 */
import { BtfBuilder } from "./btf_builder.ts";
import { Kind, parseBtf } from "../../lib/btf/mod.ts";

/** Bytes of one event. */
export const EVENT_SIZE = 64;

/** The event's BTF and type id, and `count` records of it. */
export function benchEvents(count: number) {
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
    EVENT_SIZE,
    members.flatMap(([n, t, o]) => [b.str(n), t, o]),
  );

  const ring = new Uint8Array(count * EVENT_SIZE);
  const view = new DataView(ring.buffer);
  const comms = ["bash", "systemd-journal", "kworker/0:1", "deno", "sshd", "cron", "python3"]
    .concat("node");
  for (let i = 0; i < count; i++) {
    const o = i * EVENT_SIZE;
    view.setUint32(o, 4000 + i, true);
    view.setUint32(o + 4, 5000 + i, true);
    view.setBigUint64(o + 8, 1_700_000_000_000_000_000n + BigInt(i), true);
    ring.set(new TextEncoder().encode(comms[i % comms.length]), o + 24);
    view.setBigUint64(o + 40, BigInt(i), true);
    view.setBigUint64(o + 48, 0xffff_ffff_ffff_ffffn, true);
    view.setUint32(o + 56, i & 1, true);
    view.setUint32(o + 60, 0x80000000, true);
    view.setBigUint64(o + EVENT_SIZE - 8, 42n, true);
  }
  return { btf: parseBtf(b.build()), event, ring, view };
}
