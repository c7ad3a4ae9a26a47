/**
 * Stack symbolisation cost per stack, cold and cached, against references measured in the
 * same run. Stacks are real addresses: 12 kernel frames inside text symbols of /proc/kallsyms
 * and 8 user frames inside functions of a running C program and its libc, mapped where that
 * process has them (so the user path goes through /proc/PID/maps and the ELF files).
 *
 * - cold: a new `Symbolizer` per stack (reads and indexes kallsyms, the process's maps and the
 *   ELF files); reference: just reading those files (`readFileSync`), the I/O floor.
 * - cached: one `Symbolizer` for every stack; reference: a JS `Map` from address to a
 *   precomputed frame (the ideal cache).
 *
 *   deno run -A bench/symbolize.ts [stacks]
 * @module
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ElfSymbols, type Frame, readProcMaps, Symbolizer } from "../lib/symbols/mod.ts";

const STACKS = Number(Deno.args[0] ?? 20_000);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** A small C program that waits: its mappings are the user side of the stacks. */
function startTarget(): Deno.ChildProcess {
  const dir = mkdtempSync(join(tmpdir(), "symbolize-bench-"));
  writeFileSync(
    join(dir, "t.c"),
    `#include <unistd.h>
int f1(int x){return x+1;} int f2(int x){return f1(x)*2;} int f3(int x){return f2(x)-3;}
int main(void){ pause(); return f3(0); }`,
  );
  const r = spawnSync("clang", ["-O0", "-g", "-o", join(dir, "t"), join(dir, "t.c")]);
  if (r.status !== 0) throw new Error("clang failed");
  return new Deno.Command(join(dir, "t"), { stdout: "null" }).spawn();
}

function vmHwmKb(): number {
  return Number(/VmHWM:\s+(\d+)/.exec(readFileSync("/proc/self/status", "utf8"))![1]);
}

const target = startTarget();
await new Promise((r) => setTimeout(r, 100));
const pid = target.pid;
try {
  // Kernel frames: text symbols spread over kallsyms.
  const kall = readFileSync("/proc/kallsyms", "utf8").split("\n")
    .map((l) => /^([0-9a-f]+) [tT] (\S+)$/.exec(l))
    .filter((m): m is RegExpExecArray => !!m && m[1] !== "0000000000000000");
  const kernelAddrs = Array.from(
    { length: 200 },
    (_, i) => BigInt("0x" + kall[Math.floor((i * kall.length) / 200)][1]) + 4n,
  );
  // User frames: functions of the program and of libc, at their mapped addresses.
  const maps = readProcMaps(pid).filter((m) => m.path.startsWith("/"));
  const userAddrs: bigint[] = [];
  const files = new Set<string>();
  for (const m of maps) {
    const syms = ElfSymbols.read(m.path);
    files.add(m.path);
    for (let off = m.offset; off < m.offset + (m.end - m.start) && userAddrs.length < 400;) {
      const linked = syms.addressOf(off);
      const hit = linked === undefined ? undefined : syms.symbolAt(linked);
      if (hit) userAddrs.push(BigInt(m.start + (off - m.offset)));
      off += 997; // spread over the text
    }
  }
  if (!kernelAddrs.length || userAddrs.length < 8) throw new Error("no addresses to resolve");
  const stack = (i: number) => ({
    k: Array.from({ length: 12 }, (_, j) => kernelAddrs[(i * 7 + j) % kernelAddrs.length]),
    u: Array.from({ length: 8 }, (_, j) => userAddrs[(i * 5 + j) % userAddrs.length]),
  });
  const resolve = (s: Symbolizer, st: ReturnType<typeof stack>) => {
    for (const a of st.k) s.kernel(a);
    for (const a of st.u) s.user(pid, a);
  };

  // Cold: a fresh symbolizer per stack; reference: reading the same files.
  const cold: number[] = [], io: number[] = [];
  for (let i = 0; i < 7; i++) {
    let t = performance.now();
    for (const f of ["/proc/kallsyms", `/proc/${pid}/maps`, ...files]) readFileSync(f);
    io.push(performance.now() - t);
    t = performance.now();
    resolve(new Symbolizer(), stack(i));
    cold.push(performance.now() - t);
  }

  // Cached: one symbolizer; reference: a Map of precomputed frames.
  const s = new Symbolizer();
  const ideal = new Map<bigint, Frame>();
  for (let i = 0; i < STACKS; i++) {
    const st = stack(i);
    for (const a of st.k) ideal.set(a, s.kernel(a));
    for (const a of st.u) ideal.set(a, s.user(pid, a));
  }
  const cached: number[] = [], mapRef: number[] = [];
  let sink = 0;
  for (let round = 0; round < 5; round++) {
    let t = performance.now();
    for (let i = 0; i < STACKS; i++) resolve(s, stack(i));
    cached.push(((performance.now() - t) * 1000) / STACKS);
    t = performance.now();
    for (let i = 0; i < STACKS; i++) {
      const st = stack(i);
      for (const a of st.k) sink += ideal.get(a)!.offset;
      for (const a of st.u) sink += ideal.get(a)!.offset;
    }
    mapRef.push(((performance.now() - t) * 1000) / STACKS);
  }
  const c = median(cold), r = median(io), h = median(cached), m = median(mapRef);
  console.log(
    `stack symbolisation, 20 frames (12 kernel, 8 user over ${files.size} files; ` +
      `${kall.length} kernel text symbols), median, same run${sink < 0 ? "" : ""}`,
  );
  console.log(
    `  cold   ${c.toFixed(1).padStart(7)} ms/stack   reading the files alone ${r.toFixed(1)} ms (${
      (c / r).toFixed(1)
    }x)`,
  );
  console.log(
    `  cached ${h.toFixed(2).padStart(7)} µs/stack   Map of precomputed frames ${
      m.toFixed(2)
    } µs (${(h / m).toFixed(1)}x), ${STACKS} stacks`,
  );
  console.log(`  peak RSS ${(vmHwmKb() / 1024).toFixed(0)} MB`);
} finally {
  target.kill("SIGKILL");
  await target.status;
}
