/**
 * Layout shared by the event-path benchmark's harness and its ecli consumer.
 * @module
 */

/** Bytes of `struct event` (events/event.h). */
export const EVENT_BYTES = 64;

/** Bytes one event takes in a BPF ring buffer: an 8-byte record header, 8-byte aligned. */
export const RECORD_BYTES = (EVENT_BYTES + 8 + 7) & ~7;
