/**
 * The JS floor of the event-path benchmark: what any JS consumer of the ring costs at least.
 * `ecli_consumer.ts drain-floor` hands `floor` to the project's ring walk (`RingBufferReader`,
 * `{ at }` form: the ring's DataView and the record's offset), and it reads the six fields the
 * C consumer and the handlers read with raw DataView calls, offsets from `event.h`: no
 * decoder, no object, no handler dispatch.
 * @module
 */

/** The checksum of every record read (so no read can be left out). */
export const floorSeen = { sum: 0, seq: 0n, ts: 0n };

/** Reads pid, tid, cpu, comm[0], seq and ts of the `struct event` at `offset` of `view`. */
export function floor(view: DataView, offset: number): void {
  floorSeen.sum += view.getUint32(offset, true) + view.getUint32(offset + 4, true) +
    view.getUint32(offset + 48, true) + view.getUint8(offset + 16);
  floorSeen.seq = view.getBigUint64(offset + 32, true);
  floorSeen.ts = view.getBigUint64(offset + 8, true);
}
