import assert from "node:assert/strict";
import { type Btf, readBpfObject } from "../btf/mod.ts";
import { buildEncoder } from "../encode/mod.ts";
import { type BpfObject, loadObject } from "../loader/mod.ts";
import { mapKeyValueTypes } from "../run/exports.ts";
import {
  buildPackage,
  cStringAt,
  kernelTest,
  u32le,
  uniqueTrue,
  until,
} from "../../tests/support/kernel.ts";
import { BpfMapHandle, possibleCpus, RingBufferReader } from "./mod.ts";

const PROGRAM = `
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

enum mh_state { MH_IDLE, MH_BUSY = 2 };
struct proc_key { u32 pid; char comm[16]; };
struct proc_stat {
  u64 count;
  s64 delta;
  u8 mac[6];
  bool on;
  enum mh_state state;
  struct { u16 lo: 4, hi: 12; } bits;
  char note[8];
};
struct slot { u64 hits; char name[12]; u32 ids[3]; };
struct pc { u32 a; u32 b; u32 c; };
struct filter_key { char comm[16]; };
struct filter_val { u32 tag; char label[8]; u64 hits; };

struct { __uint(type, BPF_MAP_TYPE_HASH); __uint(max_entries, 4);
  __type(key, struct proc_key); __type(value, struct proc_stat); } procs SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_ARRAY); __uint(max_entries, 4);
  __type(key, u32); __type(value, struct slot); } slots SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY); __uint(max_entries, 2);
  __type(key, u32); __type(value, struct pc); } pcpu SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_PERCPU_HASH); __uint(max_entries, 8);
  __type(key, u32); __type(value, u32[2]); } pairs SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_HASH); __uint(max_entries, 16);
  __type(key, struct filter_key); __type(value, struct filter_val); } filter SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_RINGBUF); __uint(max_entries, 64 * 1024); } rb SEC(".maps");

struct event { u32 tag; u32 pid; char label[8]; char comm[16]; };
u64 matched = 0;

SEC("tp/sched/sched_process_exec")
int ecli_mh_exec(void *ctx)
{
  struct filter_key k = {};
  bpf_get_current_comm(k.comm, sizeof(k.comm));
  struct filter_val *v = bpf_map_lookup_elem(&filter, &k);
  if (!v) return 0;
  __sync_fetch_and_add(&v->hits, 1);
  __sync_fetch_and_add(&matched, 1);
  struct event *e = bpf_ringbuf_reserve(&rb, sizeof(*e), 0);
  if (!e) return 0;
  e->tag = v->tag;
  e->pid = bpf_get_current_pid_tgid() >> 32;
  __builtin_memcpy(e->label, v->label, sizeof(e->label));
  __builtin_memcpy(e->comm, k.comm, sizeof(e->comm));
  bpf_ringbuf_submit(e, 0);
  return 0;
}
char LICENSE[] SEC("license") = "GPL";
`;

interface ProcKey {
  pid: number;
  comm: string;
}
interface ProcStat {
  count: bigint;
  delta: bigint;
  mac: number[];
  on: boolean;
  state: string | number;
  bits: { lo: number; hi: number };
  note: string;
}
interface Slot {
  hits: bigint;
  name: string;
  ids: number[];
}
interface FilterVal {
  tag: number;
  label: string;
  hits: bigint;
}
interface Event {
  tag: number;
  pid: number;
  label: string;
  comm: string;
}

/** One loaded copy of PROGRAM, shared by the tests of this file. */
let loaded: { obj: BpfObject; btf: Btf } | undefined;
async function program(): Promise<{ obj: BpfObject; btf: Btf }> {
  if (loaded) return loaded;
  const pkg = await buildPackage("ecli_mh", PROGRAM);
  const { btf } = readBpfObject(pkg.object);
  const obj = loadObject(pkg);
  globalThis.addEventListener("unload", () => obj.close());
  return loaded = { obj, btf };
}

async function handle<K, V>(name: string): Promise<BpfMapHandle<K, V>> {
  const { obj, btf } = await program();
  const { key, value } = mapKeyValueTypes(btf, name);
  assert.ok(key !== undefined && value !== undefined, `BTF key/value types of ${name}`);
  return new BpfMapHandle<K, V>(obj.map(name), btf, key, value);
}

const stat = (over: Partial<ProcStat> = {}): ProcStat => ({
  count: 0n,
  delta: 0n,
  mac: [0, 0, 0, 0, 0, 0],
  on: false,
  state: "MH_IDLE",
  bits: { lo: 0, hi: 0 },
  note: "",
  ...over,
});

kernelTest(
  "map handle: hash map with struct key and value: set, get, delete, iterate",
  async () => {
    const procs = await handle<ProcKey, ProcStat>("procs");
    assert.equal(procs.name, "procs");
    assert.equal(procs.perCpu, false);
    const a = { pid: 4242, comm: "alpha" };
    const b = { pid: 0xffffffff, comm: "fifteen-chars-x" };
    assert.equal(procs.get(a), undefined);
    assert.deepEqual(procs.keys(), []);

    const full = stat({
      count: 2n ** 64n - 1n,
      delta: -(2n ** 63n),
      mac: [0xde, 0xad, 0xbe, 0xef, 0, 1],
      on: true,
      state: "MH_BUSY",
      bits: { lo: 15, hi: 4095 },
      note: "ünï",
    });
    procs.set(a, full);
    assert.deepEqual(procs.get(a), full);
    procs.set(b, { count: 1n, state: 7 } as unknown as ProcStat);
    assert.deepEqual(procs.get(b), stat({ count: 1n, state: 7 }));
    // The same pid with another comm is another key.
    assert.equal(procs.get({ pid: 4242, comm: "alphb" }), undefined);

    procs.set(a, stat({ count: 3n }));
    assert.deepEqual(procs.get(a), stat({ count: 3n }));

    const byPid = (x: [ProcKey, ProcStat], y: [ProcKey, ProcStat]) => x[0].pid - y[0].pid;
    assert.deepEqual(procs.keys().sort((x, y) => x.pid - y.pid), [a, b]);
    assert.deepEqual(procs.entries().sort(byPid), [[a, stat({ count: 3n })], [
      b,
      stat({ count: 1n, state: 7 }),
    ]]);
    assert.deepEqual([...procs].sort(byPid), procs.entries().sort(byPid));

    // Deleting while iterating (the entry just returned) visits every entry once.
    procs.set({ pid: 1, comm: "c" }, stat());
    procs.set({ pid: 2, comm: "d" }, stat());
    const visited: number[] = [];
    for (const [k] of procs) {
      visited.push(k.pid);
      assert.equal(procs.delete(k), true);
    }
    assert.deepEqual(visited.sort((x, y) => x - y), [1, 2, 4242, 0xffffffff]);
    assert.equal(procs.delete(a), false);
    assert.deepEqual(procs.keys(), []);

    // A full hash map, a key that does not fit, a type of the wrong size.
    for (let pid = 1; pid <= 4; pid++) procs.set({ pid, comm: "x" }, stat());
    assert.throws(() => procs.set({ pid: 5, comm: "x" }, stat()), {
      message: "map 'procs': update failed: Argument list too long",
    });
    for (const k of procs.keys()) procs.delete(k);
    assert.throws(() => procs.get({ pid: 1, comm: "sixteen-chars-xx" }), {
      name: "EncodeError",
      message: "map 'procs': key.comm: \"sixteen-chars-xx\" is 16 bytes in UTF-8; " +
        "char[16] holds at most 15 and the NUL",
    });
    assert.throws(() => procs.set(a, { cnt: 1n } as unknown as ProcStat), {
      name: "EncodeError",
      message: "map 'procs': value: unknown member \"cnt\" of struct proc_stat " +
        "(known: count, delta, mac, on, state, bits, note)",
    });
    const { obj, btf } = await program();
    const wrong = new BpfMapHandle(obj.map("procs"), btf, mapKeyValueTypes(btf, "slots").key);
    assert.throws(() => wrong.keys(), {
      message: "map 'procs': key type u32 is 4 bytes, the map's keys are 20",
    });
  },
);

kernelTest("map handle: array map entries always exist; delete refused", async () => {
  const slots = await handle<number, Slot>("slots");
  const zero: Slot = { hits: 0n, name: "", ids: [0, 0, 0] };
  assert.deepEqual(slots.keys(), [0, 1, 2, 3]);
  assert.deepEqual(slots.get(2), zero);
  assert.equal(slots.get(4), undefined);
  slots.set(2, { hits: 7n, name: "eleven-char", ids: [1, 2] } as Slot);
  assert.deepEqual(slots.get(2), { hits: 7n, name: "eleven-char", ids: [1, 2, 0] });
  assert.deepEqual(slots.entries().map(([k, v]) => [k, v.hits]), [[0, 0n], [1, 0n], [2, 7n], [
    3,
    0n,
  ]]);
  assert.throws(() => slots.set(4, zero), {
    message: "map 'slots': update failed: Argument list too long",
  });
  assert.throws(() => slots.delete(2), {
    message: "map 'slots': delete failed: Invalid argument " +
      "(entries of array maps cannot be deleted; set them to zero instead)",
  });
  assert.throws(() => slots.set(-1, zero), {
    name: "EncodeError",
    message: "map 'slots': key: -1 is out of range for u32 (0..4294967295)",
  });
  slots.set(2, zero);
  assert.deepEqual(slots.get(2), zero);
});

kernelTest("map handle: per-CPU maps get one value per CPU, set one or all", async () => {
  const cpus = possibleCpus().length;
  const pcpu = await handle<number, { a: number; b: number; c: number }[]>("pcpu");
  assert.equal(pcpu.perCpu, true);
  assert.equal(pcpu.cpus, cpus);
  const one = { a: 1, b: 2, c: 3 };
  pcpu.set(0, one as never);
  assert.deepEqual(pcpu.get(0), Array(cpus).fill(one));
  const each = Array.from({ length: cpus }, (_, i) => ({ a: i, b: 0xffffffff - i, c: 7 }));
  pcpu.set(1, each);
  assert.deepEqual(pcpu.get(1), each);
  assert.deepEqual(pcpu.entries(), [[0, Array(cpus).fill(one)], [1, each]]);
  assert.throws(() => pcpu.set(0, [...each, one]), {
    name: "EncodeError",
    message: `map 'pcpu': value: ${cpus + 1} per-CPU values given; the map has one per ` +
      `possible CPU (${cpus})`,
  });
  if (cpus > 1) {
    const bad = each.map((v, i) => (i === 1 ? { ...v, a: -1 } : v));
    assert.throws(() => pcpu.set(0, bad), {
      name: "EncodeError",
      message: "map 'pcpu': value[1].a: -1 is out of range for u32 (0..4294967295)",
    });
  }

  // Values that are arrays themselves: one array is one value, an array of arrays per CPU.
  const pairs = await handle<number, number[][]>("pairs");
  pairs.set(9, [5, 6] as never);
  assert.deepEqual(pairs.get(9), Array(cpus).fill([5, 6]));
  const perCpu = Array.from({ length: cpus }, (_, i) => [i, i + 100]);
  pairs.set(9, perCpu);
  assert.deepEqual(pairs.get(9), perCpu);
  assert.equal(pairs.delete(9), true);
  assert.equal(pairs.get(9), undefined);
});

kernelTest("map handle: raw bytes where the map's types are not given", async () => {
  const { obj, btf } = await program();
  const typed = await handle<ProcKey, ProcStat>("procs");
  const raw = new BpfMapHandle<Uint8Array, Uint8Array>(obj.map("procs"));
  const { key, value } = mapKeyValueTypes(btf, "procs");
  const keyBytes = buildEncoder(btf, key!)({ pid: 77, comm: "raw" });
  const valueBytes = buildEncoder(btf, value!)(stat({ count: 99n, note: "bytes" }));
  raw.set(keyBytes, valueBytes);
  assert.deepEqual(typed.get({ pid: 77, comm: "raw" }), stat({ count: 99n, note: "bytes" }));
  assert.deepEqual(raw.keys(), [keyBytes]);
  assert.deepEqual(raw.get(keyBytes), valueBytes);
  assert.throws(() => raw.get(new Uint8Array(3)), {
    name: "EncodeError",
    message:
      "map 'procs': key: expected a Uint8Array of 20 bytes (no BTF type for it), got 3 bytes",
  });
  assert.equal(raw.delete(keyBytes), true);
  assert.equal(typed.get({ pid: 77, comm: "raw" }), undefined);
});

kernelTest("map handle: a filter map written from TS steers what the kernel sends", async () => {
  const { obj } = await program();
  const filter = await handle<{ comm: string }, FilterVal>("filter");
  const bss = obj.maps().find((m) => m.name.endsWith(".bss"));
  assert.ok(bss, "the object's .bss map");
  const matched = new BpfMapHandle<Uint8Array, Uint8Array>(bss);
  const matchedCount = () => new DataView(matched.get(u32le(0))!.buffer).getBigUint64(0, true);
  const before = matchedCount();

  const events: Event[] = [];
  const rb = new RingBufferReader(obj.map("rb"), (b) => {
    const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
    events.push({
      tag: v.getUint32(0, true),
      pid: v.getUint32(4, true),
      label: cStringAt(b.subarray(8, 16)),
      comm: cStringAt(b.subarray(16, 32)),
    });
  }, { timeoutMs: 20 });
  const running = rb.run();
  const exec = async (path: string) => {
    const child = new Deno.Command(path).spawn();
    assert.ok((await child.status).success);
    return child.pid;
  };
  try {
    const watched = uniqueTrue("mhw");
    const other = uniqueTrue("mho");
    // Not in the map yet: nothing comes.
    await exec(watched.path);
    // In the map: the kernel finds the key TS encoded and reports with TS's value.
    filter.set({ comm: watched.comm }, { tag: 0xc0ffee, label: "seen", hits: 0n });
    const pid = await exec(watched.path);
    await exec(other.path);
    assert.ok(await until(() => events.length >= 1), "no event for the watched binary");
    // The kernel counted the match in the value TS wrote.
    assert.deepEqual(filter.get({ comm: watched.comm }), {
      tag: 0xc0ffee,
      label: "seen",
      hits: 1n,
    });
    // Removed again: nothing more comes. A second watched binary marks the end: its event
    // comes after anything the earlier execs produced.
    assert.equal(filter.delete({ comm: watched.comm }), true);
    await exec(watched.path);
    const end = uniqueTrue("mhe");
    filter.set({ comm: end.comm }, { tag: 2, label: "end", hits: 0n });
    await exec(end.path);
    assert.ok(await until(() => events.some((e) => e.comm === end.comm)), "no end event");
    assert.deepEqual(filter.get({ comm: end.comm }), { tag: 2, label: "end", hits: 1n });
    const mine = events.filter((e) => e.comm === watched.comm || e.comm === other.comm);
    assert.deepEqual(mine, [{ tag: 0xc0ffee, pid, label: "seen", comm: watched.comm }]);
    assert.equal(matchedCount() - before, 2n);
    filter.delete({ comm: end.comm });
  } finally {
    rb.stop();
    await running;
    await rb.close();
  }
});
