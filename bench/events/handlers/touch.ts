/**
 * What every benchmark handler does with an event: reads the fields the C consumer reads into
 * a checksum (so none of the reads can be left out), and counts it (see `counted`).
 * @module
 */
import { writeSync } from "node:fs";
import process from "node:process";
import type { Event } from "./event.d.ts";

/** The checksum of every event seen. */
export const seen = { sum: 0, seq: 0n, ts: 0n };

/**
 * Event counts at which `counted` prints `done` on stdout: `ECLI_BENCH_EVENTS` (comma-separated:
 * the warm-up's, then the timed drain's), set by the benchmark's real-CLI drain rows, which time
 * `ecli run --handler` until that line. Unset: never.
 */
const targets = (process.env.ECLI_BENCH_EVENTS ?? "").split(",").filter(Boolean).map(Number);
let target = targets.shift() ?? 0;
let events = 0;

/** Counts one event; at each target prints `done` (unbuffered, so it is seen at once). */
export function counted(): void {
  if (++events === target) {
    writeSync(1, "done\n");
    target = targets.shift() ?? 0;
  }
}

/** Reads pid, tid, cpu, comm, seq and ts of `e`, and counts it. */
export function touch(e: Pick<Event, "pid" | "tid" | "cpu" | "comm" | "seq" | "ts">): void {
  seen.sum += e.pid + e.tid + e.cpu + e.comm.charCodeAt(0);
  seen.seq = e.seq;
  seen.ts = e.ts;
  counted();
}
