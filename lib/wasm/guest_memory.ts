import { GuestFault } from "./errors.ts";

const utf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * A guest's linear memory seen from the host, every access bounds-checked. Views are made
 * afresh on each call because the guest may grow its memory (which replaces the buffer).
 */
export class GuestMemory {
  /** Wraps the guest's exported `memory`. */
  constructor(readonly memory: WebAssembly.Memory) {}

  /** Current size in bytes. */
  get size(): number {
    return this.memory.buffer.byteLength;
  }

  /**
   * A view of `length` bytes at guest address `ptr` (i32 arguments arrive signed: both are
   * read as unsigned); throws `GuestFault` naming `what` when any byte lies outside.
   */
  bytes(ptr: number, length: number, what: string): Uint8Array {
    const p = ptr >>> 0;
    if (length < 0 || p + length > this.size) {
      throw new GuestFault(
        `${what} (${length} bytes at 0x${
          p.toString(16)
        }) is outside guest memory (${this.size} bytes)`,
      );
    }
    return new Uint8Array(this.memory.buffer, p, length);
  }

  /** A NUL-terminated UTF-8 string at `ptr`; the NUL must lie inside memory. */
  cString(ptr: number, what: string): string {
    const p = ptr >>> 0;
    const all = new Uint8Array(this.memory.buffer);
    const end = p < all.length ? all.indexOf(0, p) : -1;
    if (end < 0) {
      throw new GuestFault(`${what} at 0x${p.toString(16)} has no NUL inside guest memory`);
    }
    try {
      return utf8.decode(all.subarray(p, end));
    } catch {
      throw new GuestFault(`${what} at 0x${p.toString(16)} is not UTF-8`);
    }
  }
}
