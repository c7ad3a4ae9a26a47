import { readFileSync } from "node:fs";

/** One executable mapping of a process (`/proc/PID/maps`). */
export interface Mapping {
  /** First address. */
  start: number;
  /** One past the last address. */
  end: number;
  /** File offset mapped at `start`. */
  offset: number;
  /** The mapped file, or a pseudo name such as `[vdso]`; empty for anonymous memory. */
  path: string;
}

/** Parses `/proc/PID/maps` text, keeping executable mappings. */
export function parseProcMaps(text: string): Mapping[] {
  const out: Mapping[] = [];
  for (const line of text.split("\n")) {
    const m = /^([0-9a-f]+)-([0-9a-f]+) (\S{4}) ([0-9a-f]+) \S+ \d+\s*(.*)$/.exec(line);
    if (!m || m[3][2] !== "x") continue;
    out.push({
      start: parseInt(m[1], 16),
      end: parseInt(m[2], 16),
      offset: parseInt(m[4], 16),
      path: m[5].replace(/ \(deleted\)$/, ""),
    });
  }
  return out;
}

/** The executable mappings of a live process; empty when it has exited. */
export function readProcMaps(pid: number): Mapping[] {
  try {
    return parseProcMaps(readFileSync(`/proc/${pid}/maps`, "utf8"));
  } catch {
    return [];
  }
}

/** The mapping holding `addr`, by binary search over mappings sorted by address. */
export function findMapping(maps: Mapping[], addr: number): Mapping | undefined {
  let lo = 0, hi = maps.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const m = maps[mid];
    if (addr < m.start) hi = mid - 1;
    else if (addr >= m.end) lo = mid + 1;
    else return m;
  }
  return undefined;
}
