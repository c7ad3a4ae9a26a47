import { readFileSync } from "node:fs";

/** Parses a kernel CPU list such as `0-3,8,10-11`. */
export function parseCpuList(text: string): number[] {
  const out: number[] = [];
  for (const part of text.trim().split(",")) {
    if (!part) continue;
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!m) throw new Error(`bad CPU list '${text.trim()}'`);
    const lo = Number(m[1]);
    const hi = m[2] === undefined ? lo : Number(m[2]);
    for (let c = lo; c <= hi; c++) out.push(c);
  }
  return out;
}

/** CPUs that can ever exist (per-CPU map values have one slot each). */
export function possibleCpus(): number[] {
  return parseCpuList(readFileSync("/sys/devices/system/cpu/possible", "utf8"));
}

/** CPUs online now (perf buffers open one event per online CPU). */
export function onlineCpus(): number[] {
  return parseCpuList(readFileSync("/sys/devices/system/cpu/online", "utf8"));
}
