import { bpfOutputPerfAttr, ffi, MapType, Mmap, Perf, type Pointer } from "../../ffi/mod.ts";
import { onlineCpus } from "./cpus.ts";
import { EpollSet } from "./epoll.ts";
import { type Drainer, pollLoop, type PollOptions, StopSignal } from "./poll.ts";
import { mapFd, type MapRef } from "./ring_buffer.ts";

/**
 * Called once per sample with its raw bytes (the kernel pads them to keep records 8-byte
 * aligned, so `data` may be a few bytes longer than what the program sent) and the CPU.
 * The view is valid only during the call.
 */
export type SampleHandler = (data: Uint8Array, cpu: number) => void;

/** Options of a `PerfBufferReader`. */
export interface PerfBufferOptions extends PollOptions {
  /** Data pages per CPU, a power of two (default 64, as libbpf's perf buffer). */
  pages?: number;
  /** Called when the kernel reports samples it dropped because a CPU's buffer was full. */
  onLost?: (count: number, cpu: number) => void;
}

/** One CPU's perf event and its mapped ring. */
interface CpuRing {
  cpu: number;
  fd: number;
  base: Pointer;
  head: BigUint64Array;
  data: Uint8Array;
}

/**
 * Reads a `BPF_MAP_TYPE_PERF_EVENT_ARRAY` map the way libbpf's perf buffer does, walking the
 * per-CPU rings from JS: one `PERF_COUNT_SW_BPF_OUTPUT` event per online CPU, its fd stored in
 * the map at the CPU's index. Lost-sample records are counted in `lost`, never dropped silently.
 */
export class PerfBufferReader implements Drainer {
  /** The map read. */
  readonly map: MapRef;
  /** Samples delivered so far. */
  samples = 0;
  /** Samples the kernel reported lost so far. */
  lost = 0;
  #onSample: SampleHandler;
  #opts: PerfBufferOptions;
  #rings: CpuRing[] = [];
  #mmapSize: number;
  #dataSize: number;
  #scratch = new Uint8Array(0x10000);
  #epoll?: EpollSet;
  #stop = new StopSignal();
  #running?: Promise<void>;
  #closed = false;

  /** Opens, maps and enables a perf event per online CPU and stores the fds in `map`. */
  constructor(map: MapRef, onSample: SampleHandler, opts: PerfBufferOptions = {}) {
    if (map.type !== MapType.PERF_EVENT_ARRAY) {
      throw new Error(`map '${map.name}' is not a perf event array`);
    }
    if (map.fd < 0) throw new Error(`map '${map.name}' is not loaded`);
    const pages = opts.pages ?? 64;
    if (pages < 1 || (pages & (pages - 1)) !== 0) {
      throw new Error(`perf buffer pages must be a power of two, got ${pages}`);
    }
    const { libc, libbpf, memory, errno } = ffi();
    this.map = map;
    this.#onSample = onSample;
    this.#opts = opts;
    const page = libc.getpagesize();
    this.#dataSize = pages * page;
    this.#mmapSize = this.#dataSize + page;
    const attr = bpfOutputPerfAttr();
    const key = new Uint32Array(1);
    const value = new Uint32Array(1);
    try {
      for (const cpu of onlineCpus()) {
        if (map.maxEntries && cpu >= map.maxEntries) break;
        const fd = Number(
          libc.perf_event_open(Perf.SYSCALL, attr, -1, cpu, -1, Perf.FLAG_FD_CLOEXEC),
        );
        if (fd < 0) throw new Error(`perf_event_open on CPU ${cpu} failed: errno ${errno()}`);
        let base: Pointer;
        try {
          base = mapFd(fd, this.#mmapSize, Mmap.PROT_READ | Mmap.PROT_WRITE, 0);
        } catch (e) {
          libc.close(fd);
          throw e;
        }
        this.#rings.push({
          cpu,
          fd,
          base,
          head: new BigUint64Array(memory.view(base, 16, Perf.PAGE_DATA_HEAD)),
          data: new Uint8Array(memory.view(base, this.#dataSize, page)),
        });
        key[0] = cpu;
        value[0] = fd;
        const r = libbpf.bpf_map_update_elem(map.fd, key, value, 0);
        if (r < 0) throw new Error(`storing the perf fd of CPU ${cpu} in '${map.name}': ${r}`);
        if (libc.ioctl(fd, Perf.IOC_ENABLE, 0) < 0) {
          throw new Error(`enabling the perf event of CPU ${cpu} failed: errno ${errno()}`);
        }
      }
    } catch (e) {
      this.#release();
      throw e;
    }
  }

  /** CPUs with a ring. */
  get cpus(): number[] {
    return this.#rings.map((r) => r.cpu);
  }

  /** Walks every CPU's ring; returns the samples delivered. */
  drain(budget = Infinity): number {
    let n = 0;
    for (const ring of this.#rings) {
      if (n >= budget) break;
      n += this.#drainRing(ring, budget - n);
    }
    return n;
  }

  #drainRing(ring: CpuRing, budget: number): number {
    const size = this.#dataSize;
    const data = ring.data;
    const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    const head = Number(Atomics.load(ring.head, 0));
    let tail = Number(ring.head[1]);
    let n = 0;
    try {
      while (tail < head && n < budget) {
        const off = tail % size;
        // Headers are 8 bytes at 8-byte aligned offsets, so they never wrap; bodies may.
        const type = view.getUint32(off, true);
        const len = view.getUint16(off + 6, true);
        if (len < 8) {
          throw new Error(`perf ring of CPU ${ring.cpu} is corrupt (record size ${len})`);
        }
        let rec = data;
        let at = off;
        if (off + len > size) {
          const first = size - off;
          this.#scratch.set(data.subarray(off, size), 0);
          this.#scratch.set(data.subarray(0, len - first), first);
          rec = this.#scratch;
          at = 0;
        }
        tail += len;
        if (type === Perf.RECORD_SAMPLE) {
          const raw = new DataView(rec.buffer, rec.byteOffset).getUint32(at + 8, true);
          n++;
          this.#onSample(rec.subarray(at + 12, at + 12 + raw), ring.cpu);
        } else if (type === Perf.RECORD_LOST) {
          const lost = Number(new DataView(rec.buffer, rec.byteOffset).getBigUint64(at + 16, true));
          this.lost += lost;
          this.#opts.onLost?.(lost, ring.cpu);
        }
      }
      return n;
    } finally {
      this.samples += n;
      Atomics.store(ring.head, 1, BigInt(tail));
    }
  }

  /** Waits and drains until `stop()`, `signal` or `close()`; rejects when a handler throws. */
  run(signal?: AbortSignal): Promise<void> {
    if (this.#running) return this.#running;
    this.#stop.follow(signal);
    if (this.#opts.wait !== "timer") {
      this.#epoll = new EpollSet(Math.max(1, this.#rings.length));
      for (const [i, r] of this.#rings.entries()) this.#epoll.add(r.fd, i);
    }
    this.#running = pollLoop(this, this.#epoll, this.#stop, this.#opts).finally(() => {
      this.#epoll?.close();
    });
    return this.#running;
  }

  /** Ends `run` after its current wait. */
  stop(): void {
    this.#stop.stop();
  }

  #release(): void {
    const { libc, libbpf } = ffi();
    const key = new Uint32Array(1);
    for (const r of this.#rings.splice(0)) {
      libc.ioctl(r.fd, Perf.IOC_DISABLE, 0);
      // The map holds its own reference to the event: drop it too.
      key[0] = r.cpu;
      libbpf.bpf_map_delete_elem(this.map.fd, key);
      libc.munmap(r.base, this.#mmapSize);
      libc.close(r.fd);
    }
  }

  /** Stops, waits for `run` to end, disables and closes the perf events. Idempotent. */
  async close(): Promise<void> {
    this.stop();
    await this.#running?.catch(() => {});
    if (this.#closed) return;
    this.#closed = true;
    this.#release();
  }
}
