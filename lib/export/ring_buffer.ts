import process from "node:process";
import { ffi, MapType, Mmap, type Pointer } from "../../ffi/mod.ts";
import type { BpfMap } from "../loader/mod.ts";
import { EpollSet } from "./epoll.ts";
import { type Drainer, pollLoop, type PollOptions, StopSignal } from "./poll.ts";

/** A loaded map as readers see it: the loader's description (name, fd, type, sizes). */
export type MapRef = BpfMap;

/**
 * Called once per record with a view into ring memory. The view is valid only during the call:
 * the kernel reuses the space once the reader moves on, so copy (`slice()`) what you keep.
 */
export type RecordHandler = (data: Uint8Array) => void;

/**
 * Called once per record with where it lies: `length` bytes at `offset` in `view` (which spans
 * the whole ring, so read only those bytes). Valid only during the call, like `RecordHandler`;
 * it saves the per-record `Uint8Array` that a decoder would only read through anyway.
 */
export type RecordAtHandler = (view: DataView, offset: number, length: number) => void;

/**
 * A record callback of either form; `{ at }` selects the view form. `flush`, when given, is
 * called before the reader hands space back to the kernel (every `COMMIT_EVERY` records and at
 * the end of each drain): records seen since the last call are still intact until it returns,
 * so a consumer may keep their offsets and read them all there (batches). `allocates: false`
 * says the callback allocates nothing per record (a byte encoder): the reader then asks for no
 * young collections, which cost a fixed ~0.1–0.8 ms each even with nothing to collect.
 */
export type RecordCallback = RecordHandler | {
  at: RecordAtHandler;
  flush?: () => void;
  allocates?: boolean;
};

const BUSY = 0x8000_0000;
const DISCARD = 0x4000_0000;
const LENGTH = 0x3fff_ffff;
const HEADER = 8;
/** Records between consumer-position updates inside one drain (frees space early). */
export const COMMIT_EVERY = 1024;
/**
 * x86-64 never reorders a load with later loads, so a plain load of a record header has the
 * acquire order libbpf's `smp_load_acquire` gives (a compiler barrier there; JITs keep typed-
 * array loads in program order). `Atomics.load` is a runtime call in V8 (~20 ns, more than the
 * rest of the walk), so it is kept for the other architectures only.
 */
const ORDERED_LOADS = process.arch === "x64";
/**
 * Records between young-generation collections where the runtime asks for them
 * (`collectYoung`: Bun). 16 Ki records of decoded objects are a few MB, which a collection
 * clears in well under a millisecond; measured best among 4 Ki, 16 Ki and 64 Ki.
 */
export const YOUNG_GC_EVERY = 16384;

/** Maps `length` bytes of `fd` at `offset`; throws with errno on failure. */
export function mapFd(fd: number, length: number, prot: number, offset: number): Pointer {
  const { libc, memory, errno } = ffi();
  const p = libc.mmap(null, length, prot, Mmap.MAP_SHARED, fd, offset);
  if (p === null || memory.address(p) === Mmap.FAILED) {
    throw new Error(`mmap of fd ${fd} (${length} bytes at ${offset}) failed: errno ${errno()}`);
  }
  return p;
}

/**
 * Reads a `BPF_MAP_TYPE_RINGBUF` map by walking its memory from JS (no libbpf callback per
 * record): the consumer page is mapped read-write, the producer page and the data area (twice
 * in a row, so a record that wraps is still contiguous) read-only.
 */
export class RingBufferReader implements Drainer {
  /** The map read. */
  readonly map: MapRef;
  /** Records delivered so far. */
  records = 0;
  #onRecord: RecordAtHandler;
  #flush?: () => void;
  #opts: PollOptions;
  #page: number;
  #consumerPage: Pointer;
  #producerMap: Pointer;
  #consumer: BigUint64Array;
  #producer: BigUint64Array;
  #data: ArrayBuffer;
  #header: Uint32Array;
  #view: DataView;
  #mask: number;
  #pos: number;
  #atomicHeaders: boolean;
  #collectYoung?: () => void;
  /** `walked` (of this drain, negative: records walked since before it) at the last one. */
  #youngAt = 0;
  #epoll?: EpollSet;
  #stop = new StopSignal();
  #running?: Promise<void>;
  #closed = false;

  /**
   * Maps the ring buffer of `map`; `onRecord` gets every record `drain` finds, as a
   * `Uint8Array`, or as view + offset + length when given as `{ at }`.
   */
  constructor(map: MapRef, onRecord: RecordCallback, opts: PollOptions = {}) {
    if (map.type !== MapType.RINGBUF) throw new Error(`map '${map.name}' is not a ring buffer`);
    if (map.fd < 0) throw new Error(`map '${map.name}' is not loaded`);
    const { libc, memory, plainLoadsOnReadOnlyMemory } = ffi();
    this.map = map;
    this.#onRecord = typeof onRecord === "function"
      ? (view, offset, length) => onRecord(new Uint8Array(view.buffer, offset, length))
      : onRecord.at;
    this.#flush = typeof onRecord === "function" ? undefined : onRecord.flush;
    this.#opts = opts;
    const size = map.maxEntries;
    this.#page = libc.getpagesize();
    this.#consumerPage = mapFd(map.fd, this.#page, Mmap.PROT_READ | Mmap.PROT_WRITE, 0);
    try {
      this.#producerMap = mapFd(map.fd, this.#page + 2 * size, Mmap.PROT_READ, this.#page);
    } catch (e) {
      libc.munmap(this.#consumerPage, this.#page);
      throw e;
    }
    this.#consumer = new BigUint64Array(memory.view(this.#consumerPage, 8));
    this.#producer = new BigUint64Array(memory.view(this.#producerMap, 8));
    this.#data = memory.view(this.#producerMap, 2 * size, this.#page);
    this.#header = new Uint32Array(this.#data);
    this.#view = new DataView(this.#data);
    this.#mask = size - 1;
    this.#atomicHeaders = !plainLoadsOnReadOnlyMemory && !ORDERED_LOADS;
    const allocates = typeof onRecord === "function" || onRecord.allocates !== false;
    this.#collectYoung = allocates ? ffi().collectYoung : undefined;
    this.#pos = Number(Atomics.load(this.#consumer, 0));
  }

  /** Bytes waiting to be read. */
  get pending(): number {
    return this.#closed ? 0 : Number(Atomics.load(this.#producer, 0)) - this.#pos;
  }

  /**
   * Delivers every committed record (up to `budget`), skipping discarded ones, and hands the
   * space back to the kernel. Returns the number delivered; a handler error propagates after
   * the records before it (and it) are consumed.
   */
  drain(budget = Infinity): number {
    if (this.#closed) return 0;
    const header = this.#header;
    const view = this.#view;
    const onRecord = this.#onRecord;
    const mask = this.#mask;
    const atomicHeaders = this.#atomicHeaders;
    let pos = this.#pos;
    let n = 0;
    let walked = 0;
    try {
      let prod = Number(Atomics.load(this.#producer, 0));
      while (pos < prod && n < budget) {
        while (pos < prod && n < budget) {
          const off = pos & mask; // positions stay below 2^53; the mask keeps 32 bits
          // The producer position was loaded atomically; the header load is plain where that
          // keeps its order (x86-64, see ORDERED_LOADS; Bun: `plainLoadsOnReadOnlyMemory`).
          const word = atomicHeaders ? Atomics.load(header, off >>> 2) : header[off >>> 2];
          if (word & BUSY) return n; // reserved, not yet committed: later records wait too
          const len = word & LENGTH;
          pos += (len + HEADER + 7) & ~7;
          if (!(word & DISCARD)) {
            n++;
            onRecord(view, off + HEADER, len);
          }
          if ((++walked & (COMMIT_EVERY - 1)) === 0) {
            this.#flush?.();
            Atomics.store(this.#consumer, 0, BigInt(pos));
            if (this.#collectYoung && walked - this.#youngAt >= YOUNG_GC_EVERY) {
              this.#collectYoung();
              this.#youngAt = walked;
            }
          }
        }
        prod = Number(Atomics.load(this.#producer, 0));
      }
      return n;
    } finally {
      // Short drains (live, a few records per wakeup) add up across calls.
      this.#youngAt -= walked;
      if (this.#collectYoung && this.#youngAt <= -YOUNG_GC_EVERY) {
        this.#collectYoung();
        this.#youngAt = 0;
      }
      this.#pos = pos;
      this.records += n;
      if (walked & (COMMIT_EVERY - 1)) this.#flush?.();
      Atomics.store(this.#consumer, 0, BigInt(pos));
    }
  }

  /**
   * Waits and drains until `stop()`, `signal` or `close()`; rejects when the handler throws.
   * The JS event loop keeps running meanwhile (timers, signal listeners).
   */
  run(signal?: AbortSignal): Promise<void> {
    if (this.#running) return this.#running;
    this.#stop.follow(signal);
    const useEpoll = this.#opts.wait !== "timer";
    if (useEpoll) {
      this.#epoll = new EpollSet(1);
      this.#epoll.add(this.map.fd, 0);
    }
    this.#running = pollLoop(this, this.#epoll, this.#stop, this.#opts).finally(() => {
      this.#epoll?.close();
    });
    return this.#running;
  }

  /** Ends `run` after its current wait (at most `timeoutMs`). */
  stop(): void {
    this.#stop.stop();
  }

  /** Stops, waits for `run` to end, and unmaps the ring. Idempotent. */
  async close(): Promise<void> {
    this.stop();
    await this.#running?.catch(() => {});
    if (this.#closed) return;
    this.#closed = true;
    const { libc } = ffi();
    // Views over the mapping dangle after munmap: drop them first.
    this.#data = new ArrayBuffer(0);
    this.#header = new Uint32Array(0);
    this.#view = new DataView(this.#data);
    libc.munmap(this.#producerMap, this.#page + 2 * this.map.maxEntries);
    libc.munmap(this.#consumerPage, this.#page);
  }
}
