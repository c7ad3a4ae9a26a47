/**
 * `ctx.maps.<name>`: a BPF map read and written from TypeScript, keys and values given as the
 * JS values `lib/decode` produces and `lib/encode` takes (or raw bytes where the map's BTF does
 * not say what they are). Every call is one or a few bpf(2) map syscalls; nothing is cached,
 * so what a handle returns is what the kernel holds now.
 * @module
 */
import { type Btf, isTextChar, Kind, typeName } from "../btf/mod.ts";
import { buildDecoder, type Decoder } from "../decode/mod.ts";
import { buildEncoder, EncodeError, type Encoder } from "../encode/mod.ts";
import type { MapHandle } from "../handler/types.ts";
import { strerror } from "../loader/errors.ts";
import type { BpfMap } from "../loader/mod.ts";
import { Errno, ffi, MapType, PERCPU_MAP_TYPES, UpdateFlags } from "../../ffi/mod.ts";
import { possibleCpus } from "./cpus.ts";

/** What a map handle needs of a loaded map (`BpfMap` from the loader). */
export type MapHandleTarget = Pick<BpfMap, "name" | "fd" | "type" | "keySize" | "valueSize">;

const ARRAYS: ReadonlySet<number> = new Set([MapType.ARRAY, MapType.PERCPU_ARRAY]);

/** How one side (key or value) of a map turns into bytes and back. */
interface Codec {
  /** Bytes of one key/value: `into` at `offset` when given (zeroed first), else new bytes. */
  encode: Encoder;
  /** The JS value of the bytes at `offset`; never keeps a view of them. */
  decode: Decoder;
  /** How many array levels a JS value of this side has (`u32[4]` 1, `char[16]` 0, raw 1). */
  depth: number;
}

/**
 * A BPF map as a `MapHandle`. Keys and values are encoded with `buildEncoder` and decoded with
 * `buildDecoder` from the map's BTF key and value types; a side whose type id is not given
 * (maps without BTF types, `.bss`/`.rodata` keys) is a `Uint8Array` of exactly the map's key or
 * value size instead.
 *
 * Per-CPU maps (`PERCPU_HASH`, `PERCPU_ARRAY`, `LRU_PERCPU_HASH`): `get` and the iterators
 * return an array with one value per possible CPU (index i is the i-th CPU of
 * /sys/devices/system/cpu/possible). `set` takes either one value, written to every CPU, or
 * an array of exactly one value per possible CPU. When the value type is itself an array
 * (`u64[4]`, or raw bytes), an array of such arrays is the per-CPU form.
 *
 * Errors: a key or value that does not fit its type throws `EncodeError` naming the map and
 * the field (`map 'procs': key.comm: …`); a failing syscall other than "no such entry" throws
 * an `Error` naming the map, the operation and the kernel's error text.
 */
export class BpfMapHandle<K = unknown, V = unknown> implements MapHandle<K, V> {
  /** The map's name. */
  readonly name: string;
  /** Whether values are per CPU (see the class description). */
  readonly perCpu: boolean;
  #map: MapHandleTarget;
  #btf?: Btf;
  #keyTypeId?: number;
  #valueTypeId?: number;
  #codecs?: { key: Codec; value: Codec };
  #cpus = 0;
  #slot: number;
  #perCpuEncoders: Encoder[] = [];

  /**
   * A handle on loaded map `map`. `keyTypeId`/`valueTypeId` are BTF type ids in `btf` (for a
   * BTF-defined map: `__type(key, …)`/`__type(value, …)`); leave one out for raw bytes. The
   * encoders and decoders are built on first use, so a type that cannot be encoded fails
   * the calls on this map only.
   */
  constructor(map: MapHandleTarget, btf?: Btf, keyTypeId?: number, valueTypeId?: number) {
    if (map.fd < 0) throw new Error(`map '${map.name}' is not loaded`);
    this.name = map.name;
    this.#map = map;
    this.#btf = btf;
    this.#keyTypeId = keyTypeId;
    this.#valueTypeId = valueTypeId;
    this.perCpu = PERCPU_MAP_TYPES.has(map.type);
    this.#slot = this.perCpu ? Math.ceil(map.valueSize / 8) * 8 : map.valueSize;
  }

  /** Possible CPUs, i.e. values per entry of a per-CPU map (1 for other maps). */
  get cpus(): number {
    if (!this.perCpu) return 1;
    return this.#cpus ||= possibleCpus().length;
  }

  /** The value at `key`, or undefined when there is none (or an array index out of range). */
  get(key: K): V | undefined {
    const k = this.#encodeKey(key);
    const buf = new Uint8Array(this.#slot * this.cpus);
    const r = ffi().libbpf.bpf_map_lookup_elem(this.#map.fd, k, buf);
    if (r === -Errno.ENOENT) return undefined;
    if (r < 0) throw this.#failure("lookup", r);
    return this.#decodeValue(buf);
  }

  /**
   * Creates or replaces the value at `key` (`BPF_ANY`). Per-CPU maps take one value for every
   * CPU or an array of one value per CPU.
   */
  set(key: K, value: V): void {
    const k = this.#encodeKey(key);
    const v = this.#encodeValue(value);
    const r = ffi().libbpf.bpf_map_update_elem(this.#map.fd, k, v, UpdateFlags.ANY);
    if (r < 0) throw this.#failure("update", r);
  }

  /**
   * Deletes `key`; returns whether it was there. Array maps cannot delete (their entries always
   * exist): that throws, set the entry to zero instead.
   */
  delete(key: K): boolean {
    const k = this.#encodeKey(key);
    const r = ffi().libbpf.bpf_map_delete_elem(this.#map.fd, k);
    if (r === -Errno.ENOENT) return false;
    if (r < 0) throw this.#failure("delete", r);
    return true;
  }

  /** The keys present now, each once. */
  keys(): K[] {
    const { decode } = this.#codec().key;
    const out: K[] = [];
    for (const k of this.#rawKeys()) out.push(decode(k) as K);
    return out;
  }

  /** The entries present now. */
  entries(): [K, V][] {
    return [...this];
  }

  /**
   * Iterates the entries present now: keys are walked one at a time and each value is looked
   * up when reached, so entries deleted meanwhile are skipped, and deleting the entry just
   * returned is safe.
   */
  *[Symbol.iterator](): Generator<[K, V], void, undefined> {
    const { libbpf } = ffi();
    const { key } = this.#codec();
    for (const k of this.#rawKeys()) {
      const buf = new Uint8Array(this.#slot * this.cpus);
      const r = libbpf.bpf_map_lookup_elem(this.#map.fd, k, buf);
      if (r === -Errno.ENOENT) continue; // deleted since its key was read
      if (r < 0) throw this.#failure("lookup", r);
      yield [key.decode(k) as K, this.#decodeValue(buf)];
    }
  }

  /**
   * The keys of the map as bytes, each once. When a key is deleted under the walk the kernel
   * starts again from the first key; keys already given are skipped, and a walk that only
   * meets known keys for longer than a full pass ends there.
   */
  *#rawKeys(): Generator<Uint8Array, void, undefined> {
    const { libbpf } = ffi();
    const seen = new Set<string>();
    let prev: Uint8Array | null = null;
    let repeats = 0;
    for (;;) {
      const next = new Uint8Array(this.#map.keySize);
      const r = libbpf.bpf_map_get_next_key(this.#map.fd, prev, next);
      if (r === -Errno.ENOENT) return;
      if (r < 0) throw this.#failure("iteration", r);
      prev = next;
      const id = String.fromCharCode(...next);
      if (seen.has(id)) {
        if (++repeats > seen.size) return;
        continue;
      }
      repeats = 0;
      seen.add(id);
      yield next;
    }
  }

  #codec(): { key: Codec; value: Codec } {
    if (this.#codecs) return this.#codecs;
    const m = this.#map;
    this.#codecs = {
      key: this.#side("key", this.#keyTypeId, m.keySize),
      value: this.#side("value", this.#valueTypeId, m.valueSize),
    };
    return this.#codecs;
  }

  #side(side: "key" | "value", typeId: number | undefined, size: number): Codec {
    const btf = this.#btf;
    if (btf === undefined || typeId === undefined) return rawCodec(side, size);
    const typeSize = btf.sizeOf(typeId);
    if (typeSize !== size) {
      throw new Error(
        `map '${this.name}': ${side} type ${typeName(btf, typeId)} is ${typeSize} bytes, ` +
          `the map's ${side}s are ${size}`,
      );
    }
    return {
      encode: buildEncoder(btf, typeId, side),
      decode: buildDecoder(btf, typeId),
      depth: arrayDepth(btf, typeId),
    };
  }

  #encodeKey(key: K): Uint8Array {
    try {
      return this.#codec().key.encode(key);
    } catch (e) {
      throw this.#named(e);
    }
  }

  #encodeValue(value: V): Uint8Array {
    const codec = this.#codec().value;
    try {
      if (!this.perCpu) return codec.encode(value);
      const cpus = this.cpus;
      const slot = this.#slot;
      const buf = new Uint8Array(slot * cpus);
      if (!isPerCpuForm(value, codec.depth)) {
        codec.encode(value, buf, 0);
        for (let i = 1; i < cpus; i++) buf.copyWithin(i * slot, 0, slot);
        return buf;
      }
      const values = value as unknown as ArrayLike<unknown>;
      if (values.length !== cpus) {
        throw new EncodeError(
          `value: ${values.length} per-CPU values given; the map has one per possible CPU ` +
            `(${cpus})`,
        );
      }
      for (let i = 0; i < cpus; i++) this.#perCpuEncoder(i)(values[i], buf, i * slot);
      return buf;
    } catch (e) {
      throw this.#named(e);
    }
  }

  /** The value encoder for CPU `i`, whose messages say `value[i]`. */
  #perCpuEncoder(i: number): Encoder {
    const cached = this.#perCpuEncoders[i];
    if (cached) return cached;
    const root = `value[${i}]`;
    const btf = this.#btf;
    const id = this.#valueTypeId;
    const e = btf === undefined || id === undefined
      ? rawCodec(root, this.#map.valueSize).encode
      : buildEncoder(btf, id, root);
    return this.#perCpuEncoders[i] = e;
  }

  #decodeValue(buf: Uint8Array): V {
    const { decode } = this.#codec().value;
    if (!this.perCpu) return decode(buf) as V;
    const out: unknown[] = [];
    for (let i = 0; i < this.cpus; i++) out.push(decode(buf, i * this.#slot));
    return out as V;
  }

  /** An encode error with the map's name in front. */
  #named(e: unknown): unknown {
    return e instanceof EncodeError ? new EncodeError(`map '${this.name}': ${e.message}`) : e;
  }

  #failure(op: string, r: number): Error {
    let hint = "";
    if (op === "delete" && r === -Errno.EINVAL && ARRAYS.has(this.#map.type)) {
      hint = " (entries of array maps cannot be deleted; set them to zero instead)";
    }
    return new Error(`map '${this.name}': ${op} failed: ${strerror(r)}${hint}`);
  }
}

/** Raw bytes of exactly `size` bytes, for a side without a BTF type. */
function rawCodec(root: string, size: number): Codec {
  const encode: Encoder = (v, into, offset = 0) => {
    if (!(v instanceof Uint8Array) || v.length !== size) {
      const got = v instanceof Uint8Array ? `${v.length} bytes` : describe(v);
      throw new EncodeError(
        `${root}: expected a Uint8Array of ${size} bytes (no BTF type for it), got ${got}`,
      );
    }
    if (!into) return v;
    into.set(v, offset);
    return into;
  };
  const decode: Decoder = (bytes, offset = 0) => bytes.slice(offset, offset + size);
  return { encode, decode, depth: 1 };
}

function describe(v: unknown): string {
  if (v === null) return "null";
  if (typeof v !== "object") return typeof v;
  return Array.isArray(v) ? "an array" : `a ${(v as object).constructor?.name ?? "object"}`;
}

/** Array levels of a decoded value of type `id`: `char[N]` is a string, other arrays nest. */
function arrayDepth(btf: Btf, id: number): number {
  let depth = 0;
  let t = btf.resolve(id);
  while (t.kind === Kind.ARRAY) {
    const elem = btf.skipModifiers(t.type);
    if (isTextChar(elem)) break;
    depth++;
    t = btf.resolve(t.type);
  }
  return depth;
}

/** Whether `v` nests arrays deeper than one value does, i.e. is one value per CPU. */
function isPerCpuForm(v: unknown, valueDepth: number): boolean {
  let depth = 0;
  let x = v;
  while (Array.isArray(x)) {
    depth++;
    if (x.length === 0) break;
    x = x[0];
  }
  if (ArrayBuffer.isView(x) && !(x instanceof DataView)) depth++;
  return depth > valueDepth;
}
