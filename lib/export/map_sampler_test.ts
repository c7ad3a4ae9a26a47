import assert from "node:assert/strict";
import { loadObject } from "../loader/mod.ts";
import {
  buildHostTool,
  buildPackage,
  GETPID_GENERATOR,
  kernelTest,
  startGenerator,
  u32le,
} from "../../tests/support/kernel.ts";
import { MapSampler, parseCpuList, possibleCpus, type SampledEntry } from "./mod.ts";

const COUNTS = `
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
const volatile u32 target_pid = 0;
struct { __uint(type, BPF_MAP_TYPE_HASH); __uint(max_entries, 64);
  __type(key, u32); __type(value, u64); } counts SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_ARRAY); __uint(max_entries, 4);
  __type(key, u32); __type(value, u64); } slots SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY); __uint(max_entries, 1);
  __type(key, u32); __type(value, u32); } percpu SEC(".maps");
SEC("tp/syscalls/sys_enter_getpid")
int ecli_ms_getpid(void *ctx)
{
  u32 pid = bpf_get_current_pid_tgid() >> 32;
  if (pid != target_pid) return 0;
  u64 one = 1, *v = bpf_map_lookup_elem(&counts, &pid);
  if (v) __sync_fetch_and_add(v, 1);
  else bpf_map_update_elem(&counts, &pid, &one, BPF_NOEXIST);
  u32 k = 2;
  v = bpf_map_lookup_elem(&slots, &k);
  if (v) __sync_fetch_and_add(v, 1);
  u32 z = 0, *c = bpf_map_lookup_elem(&percpu, &z);
  if (c) *c += 1;
  return 0;
}
char LICENSE[] SEC("license") = "GPL";
`;

const u32At = (b: Uint8Array, off = 0) => new DataView(b.buffer, b.byteOffset).getUint32(off, true);
const u64At = (b: Uint8Array, off = 0) =>
  Number(new DataView(b.buffer, b.byteOffset).getBigUint64(off, true));

Deno.test("parseCpuList reads kernel CPU lists", () => {
  assert.deepEqual(parseCpuList("0-3,8,10-11\n"), [0, 1, 2, 3, 8, 10, 11]);
  assert.deepEqual(parseCpuList("0"), [0]);
  assert.throws(() => parseCpuList("a-b"), /bad CPU list/);
});

kernelTest("map sampler: hash, array and per-CPU values, and clear_map empties them", async () => {
  const gen = startGenerator(buildHostTool("getpid_gen", GETPID_GENERATOR));
  const pkg = await buildPackage("ecli_ms", COUNTS);
  const obj = loadObject(pkg, {
    variables: [{ section: ".rodata", name: "target_pid", bytes: u32le(gen.pid) }],
  });
  try {
    await gen.round(25);
    const counts = new MapSampler(obj.map("counts"), { interval: 10, clear: true });
    const got = counts.sample();
    assert.equal(got.length, 1);
    assert.equal(u32At(got[0][0]), gen.pid);
    assert.equal(u64At(got[0][1]), 25);
    assert.deepEqual(counts.keys(), [], "clear_map leaves keys");
    assert.deepEqual(counts.sample(), []);

    const slots = new MapSampler(obj.map("slots"), { interval: 10, clear: true });
    const s = slots.sample();
    assert.deepEqual(s.map(([k, v]) => [u32At(k), u64At(v)]), [[0, 0], [1, 0], [2, 25], [3, 0]]);
    assert.deepEqual(slots.sample().map(([, v]) => u64At(v)), [0, 0, 0, 0], "arrays are zeroed");

    const percpu = new MapSampler(obj.map("percpu"), { interval: 10 });
    const cpus = possibleCpus().length;
    assert.equal(percpu.valueSize, 8 * cpus);
    const [[, value]] = percpu.sample();
    let sum = 0;
    for (let c = 0; c < cpus; c++) sum += u32At(value, c * 8);
    assert.equal(sum, 25);

    // run(): rounds every interval until stopped.
    await gen.round(3);
    const rounds: SampledEntry[][] = [];
    const sampler = new MapSampler(obj.map("counts"), { interval: 20 });
    const running = sampler.run((entries) => {
      rounds.push(entries);
      if (rounds.length === 2) sampler.stop();
    });
    await running;
    assert.equal(rounds.length, 2);
    assert.equal(u64At(rounds[1][0][1]), 3);
  } finally {
    await gen.close();
    obj.close();
  }
});
