import assert from "node:assert/strict";
import { readdirSync, readlinkSync } from "node:fs";
import { compileExample } from "../../tests/support/build.ts";
import { kernelTest, scratchDir } from "../../tests/support/kernel.ts";
import { MapSampler, onlineCpus, stackMapReader } from "../export/mod.ts";
import { loadPackage } from "../package/mod.ts";
import { loadObject } from "./mod.ts";

/** This process's perf event fds. */
function perfFds(): number {
  let n = 0;
  for (const fd of readdirSync("/proc/self/fd")) {
    try {
      if (readlinkSync(`/proc/self/fd/${fd}`) === "anon_inode:[perf_event]") n++;
    } catch { /* closed meanwhile */ }
  }
  return n;
}

let sink = 0;

/** This process's utime + stime in ms (USER_HZ = 100). */
function cpuTimeMs(): number {
  const stat = Deno.readTextFileSync("/proc/self/stat");
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(f[11]) + Number(f[12])) * 10;
}

kernelTest("perf_event: cpu-clock on every online CPU, stacks recorded, fds released", async () => {
  const pkg = await loadPackage(await compileExample("profile", scratchDir()));
  const before = perfFds();
  const obj = loadObject(pkg, { attach: false });
  try {
    obj.attach(() => ({ perf: { period: 1_000_000 } })); // one sample per ms of CPU
    assert.deepEqual(obj.attachments.map((a) => a.kind), ["perf_event"]);
    assert.equal(perfFds() - before, onlineCpus().length, "one perf event per online CPU");
    // Burn 200 ms of this process's CPU (however loaded the machine), at most 10 s.
    const t0 = cpuTimeMs();
    for (const end = Date.now() + 10_000; Date.now() < end && cpuTimeMs() - t0 < 200;) {
      for (let i = 0; i < 1e6; i++) sink ^= i;
    }
    const entries = new MapSampler(obj.map("counts"), { interval: 0, clear: false }).sample();
    const stacks = stackMapReader(obj.map("stacks"));
    // struct stack_key { u32 pid; char comm[16]; s32 kstack_id; s32 ustack_id; }
    const mine = entries.map(([k, v]) => {
      const d = new DataView(k.buffer, k.byteOffset, k.byteLength);
      return {
        pid: d.getUint32(0, true),
        ustack: d.getInt32(24, true),
        count: new DataView(v.buffer, v.byteOffset).getBigUint64(0, true),
      };
    }).filter((e) => e.pid === Deno.pid);
    const samples = mine.reduce((n, e) => n + Number(e.count), 0);
    assert.ok(samples >= 100, `${samples} samples of 200 ms of this process's CPU at 1/ms`);
    const withUser = mine.filter((e) => e.ustack >= 0);
    assert.ok(withUser.length > 0, "user stacks recorded");
    assert.ok(stacks(withUser[0].ustack)!.length > 0, "the stack id resolves in the stack map");
  } finally {
    obj.close();
  }
  assert.equal(perfFds(), before, "every per-CPU perf fd closed");
});
