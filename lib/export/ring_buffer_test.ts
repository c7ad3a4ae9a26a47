import assert from "node:assert/strict";
import { loadObject } from "../loader/mod.ts";
import { type BpfObject } from "../loader/mod.ts";
import {
  buildHostTool,
  buildPackage,
  cStringAt,
  GETPID_GENERATOR,
  kernelTest,
  run,
  startGenerator,
  u32le,
  uniqueTrue,
  until,
} from "../../tests/support/kernel.ts";
import { ffi } from "../../ffi/mod.ts";
import { RingBufferReader } from "./mod.ts";

const EXEC_RB = `
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
struct event { u32 pid; u32 len; char comm[16]; };
struct { __uint(type, BPF_MAP_TYPE_RINGBUF); __uint(max_entries, 64 * 1024); } rb SEC(".maps");
SEC("tp/sched/sched_process_exec")
int ecli_rb_exec(void *ctx)
{
  struct event *e = bpf_ringbuf_reserve(&rb, sizeof(*e), 0);
  if (!e) return 0;
  e->pid = bpf_get_current_pid_tgid() >> 32;
  e->len = sizeof(*e);
  bpf_get_current_comm(e->comm, sizeof(e->comm));
  bpf_ringbuf_submit(e, 0);
  return 0;
}
char LICENSE[] SEC("license") = "GPL";
`;

interface ExecEvent {
  pid: number;
  len: number;
  comm: string;
  size: number;
}

function decode(b: Uint8Array): ExecEvent {
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  return {
    pid: v.getUint32(0, true),
    len: v.getUint32(4, true),
    comm: cStringAt(b.subarray(8, 24)),
    size: b.length,
  };
}

kernelTest("ring buffer: exec of a marker binary arrives with its pid and comm", async () => {
  const pkg = await buildPackage("ecli_rb", EXEC_RB);
  const obj = loadObject(pkg);
  const events: ExecEvent[] = [];
  const rb = new RingBufferReader(obj.map("rb"), (b) => events.push(decode(b)), { timeoutMs: 20 });
  try {
    const running = rb.run();
    const marker = uniqueTrue("rbx");
    const child = new Deno.Command(marker.path).spawn();
    const { success } = await child.status;
    assert.ok(success);
    assert.ok(await until(() => events.some((e) => e.comm === marker.comm)), "no exec event");
    rb.stop();
    await running;
    const mine = events.filter((e) => e.comm === marker.comm);
    assert.equal(mine.length, 1);
    assert.equal(mine[0].pid, child.pid);
    assert.equal(mine[0].len, 24);
    assert.equal(mine[0].size, 24);
  } finally {
    await rb.close();
    obj.close();
  }
  assert.ok(!run("bpftool", ["prog", "list"]).includes("ecli_rb_exec"));
});

/** 64-byte records `e[i] = seq * 8 + i` for each getpid of `target_pid`. */
const GETPID_RB = `
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
const volatile u32 target_pid = 0;
const volatile u64 wake_flags = 0;
const volatile u32 discard_every = 0;
struct { __uint(type, BPF_MAP_TYPE_RINGBUF); __uint(max_entries, 4096); } rb SEC(".maps");
u64 seq = 0;
u64 drops = 0;
SEC("tp/syscalls/sys_enter_getpid")
int ecli_rb_getpid(void *ctx)
{
  if ((bpf_get_current_pid_tgid() >> 32) != target_pid) return 0;
  u64 *e = bpf_ringbuf_reserve(&rb, 64, 0);
  if (!e) { __sync_fetch_and_add(&drops, 1); return 0; }
  // One thread of one process triggers this: a plain increment does (a fetch-and-add whose
  // result is used needs kernel 5.12; the matrix runs 5.10).
  u64 n = seq++;
  for (int i = 0; i < 8; i++) e[i] = n * 8 + i;
  if (discard_every && n % discard_every == 0) bpf_ringbuf_discard(e, wake_flags);
  else bpf_ringbuf_submit(e, wake_flags);
  return 0;
}
char LICENSE[] SEC("license") = "GPL";
`;

/** A little-endian u64 as 8 bytes. */
function u64le(n: bigint): Uint8Array {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, n, true);
  return b;
}

/** Reads a u64 global of `.bss` from the kernel. */
function bssU64(obj: BpfObject, name: string): number {
  const bss = obj.maps().find((m) => m.name.endsWith(".bss"))!;
  const value = new Uint8Array(bss.valueSize);
  assert.equal(ffi().libbpf.bpf_map_lookup_elem(bss.fd, new Uint32Array(1), value), 0);
  const v = obj.variable(".bss", name);
  return Number(new DataView(value.buffer).getBigUint64(v.offset, true));
}

/** Collects `seq` of each record and counts records whose pattern is wrong. */
function sequenceChecker() {
  const seqs: number[] = [];
  let bad = 0;
  return {
    seqs,
    get bad() {
      return bad;
    },
    onRecord(b: Uint8Array) {
      if (b.length !== 64) bad++;
      const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
      const first = Number(v.getBigUint64(0, true));
      for (let i = 1; i < 8; i++) if (Number(v.getBigUint64(i * 8, true)) !== first + i) bad++;
      seqs.push(first / 8);
    },
  };
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

async function getpidSetup(
  name: string,
  extra: { section: string; name: string; bytes: Uint8Array }[] = [],
) {
  const gen = startGenerator(buildHostTool("getpid_gen", GETPID_GENERATOR));
  const pkg = await buildPackage(name, GETPID_RB);
  const obj = loadObject(pkg, {
    variables: [{ section: ".rodata", name: "target_pid", bytes: u32le(gen.pid) }, ...extra],
  });
  return { gen, obj };
}

kernelTest("ring buffer: records that wrap the ring end arrive whole and in order", async () => {
  const { gen, obj } = await getpidSetup("ecli_rbw");
  const check = sequenceChecker();
  const rb = new RingBufferReader(obj.map("rb"), (b) => check.onRecord(b));
  try {
    // 72-byte records in a 4096-byte ring: rounds of 40 (2880 bytes) wrap at every other round.
    for (let r = 0; r < 10; r++) {
      await gen.round(40);
      assert.equal(rb.drain(), 40);
    }
    assert.equal(check.bad, 0);
    assert.deepEqual(check.seqs, range(400));
    assert.equal(bssU64(obj, "drops"), 0);
    assert.equal(rb.pending, 0);
  } finally {
    await gen.close();
    await rb.close();
    obj.close();
  }
});

kernelTest(
  "ring buffer: discarded records are skipped, a full ring drops and recovers",
  async () => {
    const { gen, obj } = await getpidSetup("ecli_rbd", [
      { section: ".rodata", name: "discard_every", bytes: u32le(3) },
    ]);
    const check = sequenceChecker();
    const rb = new RingBufferReader(obj.map("rb"), (b) => check.onRecord(b));
    try {
      await gen.round(30);
      assert.equal(rb.drain(), 20);
      assert.deepEqual(check.seqs, range(30).filter((i) => i % 3 !== 0));
      // 100 records of 72 bytes cannot fit in 4096 bytes: the program counts the failures.
      await gen.round(100);
      const drops = bssU64(obj, "drops");
      assert.ok(drops > 0);
      rb.drain();
      await gen.round(3);
      rb.drain();
      assert.equal(check.bad, 0);
      // seq counts successful reserves only: 30 + (100 - drops) + 3 of them, discards skipped.
      const reserved = 30 + (100 - drops) + 3;
      assert.deepEqual(check.seqs, range(reserved).filter((i) => i % 3 !== 0));
    } finally {
      await gen.close();
      await rb.close();
      obj.close();
    }
  },
);

kernelTest("ring buffer: run() drains records submitted without wakeup", async () => {
  const BPF_RB_NO_WAKEUP = 1n;
  const { gen, obj } = await getpidSetup("ecli_rbn", [
    { section: ".rodata", name: "wake_flags", bytes: u64le(BPF_RB_NO_WAKEUP) },
  ]);
  const check = sequenceChecker();
  const rb = new RingBufferReader(obj.map("rb"), (b) => check.onRecord(b), { timeoutMs: 30 });
  try {
    const running = rb.run();
    await gen.round(10);
    assert.ok(await until(() => check.seqs.length === 10, 2000), `got ${check.seqs.length}`);
    rb.stop();
    await running;
    assert.deepEqual(check.seqs, range(10));
  } finally {
    await gen.close();
    await rb.close();
    obj.close();
  }
});

kernelTest("ring buffer: a throwing handler rejects run() and consumes its record", async () => {
  const { gen, obj } = await getpidSetup("ecli_rbt");
  let calls = 0;
  const rb = new RingBufferReader(obj.map("rb"), () => {
    if (++calls === 2) throw new Error("handler broke");
  }, { wait: "timer", intervalMs: 5 });
  try {
    // Expect the rejection before triggering: on a slow machine it comes while round() runs.
    const rejected = assert.rejects(rb.run(), /handler broke/);
    await gen.round(5);
    await rejected;
    assert.equal(calls, 2);
    assert.equal(rb.pending, 3 * 72);
    assert.equal(rb.drain(), 3);
  } finally {
    await gen.close();
    await rb.close();
    obj.close();
  }
});

kernelTest(
  "ring buffer: the { at } form hands out the same record as view + offset + length",
  async () => {
    const pkg = await buildPackage("ecli_rb_at", EXEC_RB);
    const obj = loadObject(pkg);
    const events: ExecEvent[] = [];
    const rb = new RingBufferReader(obj.map("rb"), {
      at: (view, offset, length) =>
        events.push(decode(new Uint8Array(view.buffer, view.byteOffset + offset, length).slice())),
    }, { timeoutMs: 20 });
    try {
      const running = rb.run();
      const marker = uniqueTrue("rba");
      const child = new Deno.Command(marker.path).spawn();
      assert.ok((await child.status).success);
      assert.ok(await until(() => events.some((e) => e.comm === marker.comm)), "no exec event");
      rb.stop();
      await running;
      const mine = events.filter((e) => e.comm === marker.comm);
      assert.equal(mine.length, 1);
      assert.equal(mine[0].pid, child.pid);
      assert.equal(mine[0].size, 24);
    } finally {
      await rb.close();
      obj.close();
    }
  },
);
