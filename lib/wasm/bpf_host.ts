/**
 * The `wasm_bpf` import module (upstream's wasm-bpf ABI) over our loader and readers: six
 * functions a guest calls with pointers into its own memory. Each call checks every pointer
 * and length first; a bad one makes that call return `-EFAULT`, and libbpf or kernel errors
 * come back as negative errno values, so the guest decides what to do (upstream's C++ host
 * does the same; its Rust host returns +22 for bad buffers).
 */
import { readFileSync } from "node:fs";
import { type BpfMap, BpfObject, LoaderError, type ObjectRecord } from "../loader/mod.ts";
import {
  Errno,
  MapCommand,
  mapCommand,
  MapType,
  PerfBufferReader,
  RingBufferReader,
  userValueSize,
} from "../export/mod.ts";
import { parseMeta } from "../package/mod.ts";
import { GuestFault } from "./errors.ts";
import type { GuestMemory } from "./guest_memory.ts";

const EFAULT = 14;

/** The functions of the `wasm_bpf` import module, by name. */
export const WASM_BPF_IMPORTS = [
  "wasm_load_bpf_object",
  "wasm_close_bpf_object",
  "wasm_attach_bpf_program",
  "wasm_bpf_buffer_poll",
  "wasm_bpf_map_fd_by_name",
  "wasm_bpf_map_operate",
] as const;

/** What the host needs from the running guest, looked up after instantiation. */
export interface GuestAccess {
  /** The guest's memory. */
  memory: GuestMemory;
  /** The guest's `__indirect_function_table` (callbacks are indices into it). */
  table?: WebAssembly.Table;
  /**
   * Called at every import entry and while a poll waits: throws to stop the guest, blocks
   * while it is paused; `waitMs` sleeps up to that long unless woken by stop/pause.
   */
  checkpoint(waitMs?: number): void;
  /** Diagnostics (`--verbose`). */
  log(line: string): void;
  /**
   * Told what each handle holds after a load or attach, and `undefined` just before it is
   * released, so the parent can release it if this thread is ended (see `ObjectRecord`).
   */
  track?(handle: bigint, record: ObjectRecord | undefined): void;
}

/** A ring or perf buffer reader bound to the current poll call's guest callback. */
interface PolledBuffer {
  reader: RingBufferReader | PerfBufferReader;
}

/** One object the guest loaded. */
interface GuestObject {
  object: BpfObject;
  maps: BpfMap[];
  buffers: Map<number, PolledBuffer>;
}

/** The callback of the poll call in progress. */
interface PollTarget {
  fn: (ctx: number, data: number, size: number) => number;
  ctx: number;
  data: number;
  maxSize: number;
}

/**
 * The host state of one guest: the BPF objects it loaded (by handle, sequential from 1 as in
 * upstream's Rust host) and their buffers. `close()` releases all of it.
 */
export class WasmBpfHost {
  #objects = new Map<bigint, GuestObject>();
  #next = 1n;
  #guest?: GuestAccess;
  #poll?: PollTarget;
  #heap: Uint8Array<ArrayBufferLike> = new Uint8Array(0);
  #heap32: Int32Array<ArrayBufferLike> = new Int32Array(0);

  /** Handles of the objects loaded and not closed. */
  get loaded(): bigint[] {
    return [...this.#objects.keys()];
  }

  /** Binds the instantiated guest (imports need its memory). */
  bind(guest: GuestAccess): void {
    this.#guest = guest;
  }

  /** The import object's `wasm_bpf` module. */
  imports(): Record<(typeof WASM_BPF_IMPORTS)[number], (...args: never[]) => unknown> {
    return {
      wasm_load_bpf_object: (ptr: number, len: number) => this.#load(ptr, len),
      wasm_close_bpf_object: (obj: bigint) => this.#call(() => this.#close(obj)),
      wasm_attach_bpf_program: (obj: bigint, name: number, target: number) =>
        this.#call(() => this.#attach(obj, name, target)),
      wasm_bpf_buffer_poll: (
        obj: bigint,
        fd: number,
        fn: number,
        ctx: number,
        data: number,
        maxSize: number,
        timeoutMs: number,
      ) => this.#call(() => this.#bufferPoll(obj, fd, fn, ctx, data, maxSize, timeoutMs)),
      wasm_bpf_map_fd_by_name: (obj: bigint, name: number) =>
        this.#call(() => this.#mapFdByName(obj, name)),
      wasm_bpf_map_operate: (
        fd: number,
        cmd: number,
        key: number,
        value: number,
        nextKey: number,
        flags: bigint,
      ) => this.#call(() => this.#mapOperate(fd, cmd, key, value, nextKey, flags)),
    };
  }

  get #g(): GuestAccess {
    if (!this.#guest) throw new Error("wasm_bpf import called before the guest was bound");
    return this.#guest;
  }

  /** Runs an i32 import: faults and loader errors become negative errno values. */
  #call(body: () => number): number {
    this.#g.checkpoint();
    try {
      return body();
    } catch (e) {
      if (e instanceof GuestFault) {
        this.#g.log(`wasm_bpf: ${e.message}`);
        return -EFAULT;
      }
      if (e instanceof LoaderError) {
        this.#g.log(`wasm_bpf: ${e.message}`);
        return -(e.errno || Errno.EINVAL);
      }
      throw e;
    }
  }

  #object(handle: bigint): GuestObject | undefined {
    return this.#objects.get(BigInt.asUintN(64, handle));
  }

  #load(ptr: number, len: number): bigint {
    this.#g.checkpoint();
    try {
      if (len <= 0) throw new GuestFault(`object length ${len}`);
      // A copy: libbpf keeps pointers into the ELF, and guest memory may move when it grows.
      const bytes = this.#g.memory.bytes(ptr, len, "BPF object").slice();
      const handle = this.#next++;
      const meta = parseMeta({ bpf_skel: { obj_name: `wasm_${handle}`, data_sections: [] } });
      const object = BpfObject.open({ object: bytes, meta }, {
        log: (_level, line) => this.#g.log(`libbpf: ${line}`),
      });
      object.load();
      this.#objects.set(handle, { object, maps: object.maps(), buffers: new Map() });
      this.#g.track?.(handle, object.record);
      return handle;
    } catch (e) {
      // Upstream's ABI has no errno for a load: 0 is the failure, the reason goes to the log.
      this.#g.log(`wasm_load_bpf_object: ${(e as Error).message}`);
      return 0n;
    }
  }

  #close(handle: bigint): number {
    const o = this.#object(handle);
    if (!o) return -Errno.EINVAL;
    this.#objects.delete(BigInt.asUintN(64, handle));
    this.#g.track?.(BigInt.asUintN(64, handle), undefined);
    void this.#release(o);
    return 0;
  }

  #release(o: GuestObject): Promise<void> {
    // Readers first (their close is async but does its work at once when no run() is active).
    const readers = [...o.buffers.values()].map((b) => b.reader.close());
    o.object.close();
    return Promise.all(readers).then(() => {});
  }

  #attach(handle: bigint, namePtr: number, targetPtr: number): number {
    const o = this.#object(handle);
    if (!o) return -Errno.EINVAL;
    const mem = this.#g.memory;
    const name = mem.cString(namePtr, "program name");
    const target = targetPtr === 0 ? "" : mem.cString(targetPtr, "attach target");
    const section = o.object.sectionOf(name);
    if (section === undefined) return -Errno.ENOENT;
    if (target && section === "xdp") {
      const ifindex = interfaceIndex(target);
      if (ifindex === undefined) return -Errno.ENODEV;
      o.object.attachOne({ name, attach: section, link: true, ifindex });
      this.#g.track?.(BigInt.asUintN(64, handle), o.object.record);
      return 0;
    }
    // Upstream opens `target` as a host cgroup directory here (wasm-bpf#48: it escapes the
    // sandbox); not offered until that has an fd-based form.
    if (target && section === "sockops") return -Errno.EOPNOTSUPP;
    o.object.attachOne({ name, attach: section, link: true });
    this.#g.track?.(BigInt.asUintN(64, handle), o.object.record);
    return 0;
  }

  #mapFdByName(handle: bigint, namePtr: number): number {
    const o = this.#object(handle);
    if (!o) return -Errno.EINVAL;
    const name = this.#g.memory.cString(namePtr, "map name");
    // libbpf's lookup, as upstream's hosts: internal maps answer to ".bss", ".rodata" too.
    try {
      return o.object.map(name).fd;
    } catch {
      return -Errno.ENOENT;
    }
  }

  /** The map behind a host fd, among the guest's own objects only. */
  #mapByFd(fd: number): [GuestObject, BpfMap] | undefined {
    for (const o of this.#objects.values()) {
      const m = o.maps.find((m) => m.fd === fd);
      if (m) return [o, m];
    }
  }

  #mapOperate(
    fd: number,
    cmd: number,
    keyPtr: number,
    valuePtr: number,
    nextKeyPtr: number,
    flags: bigint,
  ): number {
    const found = this.#mapByFd(fd);
    if (!found) return -Errno.EBADF;
    const map = found[1];
    const mem = this.#g.memory;
    const valueSize = userValueSize(map.type, map.valueSize);
    switch (cmd) {
      case MapCommand.LOOKUP_ELEM:
      case MapCommand.UPDATE_ELEM:
        return mapCommand(
          fd,
          cmd,
          mem.bytes(keyPtr, map.keySize, "key"),
          mem.bytes(valuePtr, valueSize, "value"),
          BigInt.asUintN(64, flags),
        );
      case MapCommand.DELETE_ELEM:
        return mapCommand(fd, cmd, mem.bytes(keyPtr, map.keySize, "key"), null, 0n);
      case MapCommand.GET_NEXT_KEY:
        // Address 0 as the key means "from the start" (an extension; upstream reads offset 0).
        return mapCommand(
          fd,
          cmd,
          keyPtr === 0 ? null : mem.bytes(keyPtr, map.keySize, "key"),
          mem.bytes(nextKeyPtr, map.keySize, "next key"),
          0n,
        );
      default:
        return -Errno.EINVAL;
    }
  }

  #bufferPoll(
    handle: bigint,
    fd: number,
    fnIndex: number,
    ctx: number,
    data: number,
    maxSize: number,
    timeoutMs: number,
  ): number {
    const o = this.#object(handle);
    if (!o) return -Errno.EINVAL;
    const g = this.#g;
    g.memory.bytes(data, maxSize, "poll buffer");
    const fn = g.table && fnIndex >= 0 && fnIndex < g.table.length
      ? g.table.get(fnIndex) as PollTarget["fn"] | null
      : null;
    if (typeof fn !== "function") return -Errno.EINVAL;
    const buffer = o.buffers.get(fd) ?? this.#openBuffer(o, fd);
    if (typeof buffer === "number") return buffer;
    this.#poll = { fn, ctx, data: data >>> 0, maxSize };
    try {
      let n = buffer.reader.drain();
      const deadline = performance.now() + Math.max(0, timeoutMs);
      while (n === 0) {
        const left = deadline - performance.now();
        if (left <= 0) break;
        g.checkpoint(Math.min(left, 5));
        n = buffer.reader.drain();
      }
      return n;
    } finally {
      this.#poll = undefined;
    }
  }

  /**
   * Copies one record into the guest's buffer and calls its callback. The buffer's range was
   * checked when the poll began (memory never shrinks); the view over guest memory is made
   * again only when the guest grew it (which replaces `memory.buffer`).
   */
  #deliver(src: Uint8Array, src32: Int32Array, offset: number, length: number): void {
    const p = this.#poll!;
    const buffer = this.#g.memory.memory.buffer;
    if (this.#heap.buffer !== buffer) {
      this.#heap = new Uint8Array(buffer);
      this.#heap32 = new Int32Array(buffer);
    }
    const n = length < p.maxSize ? length : p.maxSize;
    copyRecord(this.#heap, this.#heap32, p.data, src, src32, offset, n);
    p.fn(p.ctx, p.data, length);
  }

  #openBuffer(o: GuestObject, fd: number): PolledBuffer | number {
    const map = o.maps.find((m) => m.fd === fd);
    if (!map) return -Errno.ENOENT;
    let reader;
    if (map.type === MapType.RINGBUF) {
      let ring: Uint8Array<ArrayBufferLike> = new Uint8Array(0);
      let ring32: Int32Array<ArrayBufferLike> = new Int32Array(0);
      reader = new RingBufferReader(map, {
        at: (view, offset, length) => {
          if (ring.buffer !== view.buffer) {
            ring = new Uint8Array(view.buffer);
            ring32 = new Int32Array(view.buffer, 0, view.buffer.byteLength >>> 2);
          }
          this.#deliver(ring, ring32, view.byteOffset + offset, length);
        },
      });
    } else if (map.type === MapType.PERF_EVENT_ARRAY) {
      const none = new Int32Array(0);
      reader = new PerfBufferReader(map, (data) => this.#deliver(data, none, 0, data.length));
    } else return -Errno.EINVAL;
    const b = { reader };
    o.buffers.set(fd, b);
    return b;
  }

  /** Releases every object the guest left loaded (and their buffers). Idempotent. */
  async close(): Promise<void> {
    const all = [...this.#objects.values()];
    for (const h of this.#objects.keys()) this.#guest?.track?.(h, undefined);
    this.#objects.clear();
    await Promise.all(all.map((o) => this.#release(o)));
  }
}

/**
 * Copies `n` bytes of a record into guest memory. Word by word when both sides are 4-byte
 * aligned (ring records always are): `set(subarray)` between an mmapped ring and Wasm memory
 * costs ~150-300 ns for 64 bytes here, the word loop ~35 ns. `src32` may be empty (then bytes).
 */
function copyRecord(
  heap: Uint8Array,
  heap32: Int32Array,
  dst: number,
  src: Uint8Array,
  src32: Int32Array,
  offset: number,
  n: number,
): void {
  let i = 0;
  if (src32.length && ((dst | offset) & 3) === 0) {
    const words = n >>> 2;
    const d = dst >>> 2;
    const s = (offset - src.byteOffset) >>> 2;
    for (; i < words; i++) heap32[d + i] = src32[s + i];
    i = words << 2;
  } else if (n > 512) {
    heap.set(src.subarray(offset, offset + n), dst);
    return;
  }
  for (; i < n; i++) heap[dst + i] = src[offset + i];
}

/** The ifindex of a host network interface, from sysfs; undefined when there is none. */
function interfaceIndex(name: string): number | undefined {
  if (!/^[\w.:-]{1,15}$/.test(name) || name === "." || name === "..") return undefined;
  try {
    return Number(readFileSync(`/sys/class/net/${name}/ifindex`, "utf8").trim());
  } catch {
    return undefined;
  }
}
