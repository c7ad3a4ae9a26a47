/**
 * What every benchmark handler does with an event: reads the fields the C consumer reads into
 * a checksum (so none of the reads can be left out).
 * @module
 */
import type { Event } from "./event.d.ts";

/** The checksum of every event seen. */
export const seen = { sum: 0, seq: 0n, ts: 0n };

/** Reads pid, tid, cpu, comm, seq and ts of `e`. */
export function touch(e: Pick<Event, "pid" | "tid" | "cpu" | "comm" | "seq" | "ts">): void {
  seen.sum += e.pid + e.tid + e.cpu + e.comm.charCodeAt(0);
  seen.seq = e.seq;
  seen.ts = e.ts;
}
