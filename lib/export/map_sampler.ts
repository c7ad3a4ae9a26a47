import { ffi, MapType, PERCPU_MAP_TYPES } from "../../ffi/mod.ts";
import { possibleCpus } from "./cpus.ts";
import { StopSignal } from "./poll.ts";
import type { MapRef } from "./ring_buffer.ts";

/** One sampled entry: key bytes and value bytes (per-CPU maps: one 8-byte aligned slot per CPU). */
export type SampledEntry = [key: Uint8Array, value: Uint8Array];

/** Options of a `MapSampler`. */
export interface MapSamplerOptions {
  /** Sampling period in ms (the map's `sample.interval`). */
  interval: number;
  /** Empty the map after each round (`sample.clear_map`): keys deleted, array slots zeroed. */
  clear?: boolean;
}

const ENOENT = 2;
const ARRAYS: ReadonlySet<number> = new Set([MapType.ARRAY, MapType.PERCPU_ARRAY]);

/**
 * Reads every entry of a hash or array map every `interval` ms (upstream's sample maps).
 * Entries come as copies, so handlers may keep them.
 */
export class MapSampler {
  /** The map sampled. */
  readonly map: MapRef;
  /** Rounds done. */
  rounds = 0;
  #opts: MapSamplerOptions;
  #valueSize: number;
  #stop = new StopSignal();
  #running?: Promise<void>;

  /** Prepares sampling of `map` (nothing is read until `sample` or `run`). */
  constructor(map: MapRef, opts: MapSamplerOptions) {
    if (map.fd < 0) throw new Error(`map '${map.name}' is not loaded`);
    this.map = map;
    this.#opts = opts;
    this.#valueSize = PERCPU_MAP_TYPES.has(map.type)
      ? Math.ceil(map.valueSize / 8) * 8 * possibleCpus().length
      : map.valueSize;
  }

  /** Bytes per value as the kernel returns it (per-CPU maps: all CPUs' slots). */
  get valueSize(): number {
    return this.#valueSize;
  }

  /** The map's keys now, each once (at most max_entries; iteration restarts are tolerated). */
  keys(): Uint8Array[] {
    const { libbpf } = ffi();
    const keys: Uint8Array[] = [];
    const seen = new Set<string>();
    let prev: Uint8Array | null = null;
    for (let i = 0; i < this.map.maxEntries; i++) {
      const next = new Uint8Array(this.map.keySize);
      const r = libbpf.bpf_map_get_next_key(this.map.fd, prev, next);
      if (r === -ENOENT) break;
      if (r < 0) throw new Error(`iterating map '${this.map.name}' failed: ${r}`);
      // A key deleted under us makes the kernel restart from the first key: skip repeats.
      const id = next.join(",");
      if (seen.has(id)) break;
      seen.add(id);
      keys.push(next);
      prev = next;
    }
    return keys;
  }

  /** One round: every entry's key and value, then the map is emptied when `clear` is set. */
  sample(): SampledEntry[] {
    const { libbpf } = ffi();
    const out: SampledEntry[] = [];
    const keys = this.keys();
    for (const key of keys) {
      const value = new Uint8Array(this.#valueSize);
      const r = libbpf.bpf_map_lookup_elem(this.map.fd, key, value);
      if (r === -ENOENT) continue; // deleted since the key walk
      if (r < 0) throw new Error(`lookup in map '${this.map.name}' failed: ${r}`);
      out.push([key, value]);
    }
    if (this.#opts.clear) this.clear(keys);
    this.rounds++;
    return out;
  }

  /** Deletes `keys` (default: all); array maps cannot delete, so their slots are zeroed. */
  clear(keys: Uint8Array[] = this.keys()): void {
    const { libbpf } = ffi();
    const zero = new Uint8Array(this.#valueSize);
    for (const key of keys) {
      const r = ARRAYS.has(this.map.type)
        ? libbpf.bpf_map_update_elem(this.map.fd, key, zero, 0)
        : libbpf.bpf_map_delete_elem(this.map.fd, key);
      if (r < 0 && r !== -ENOENT) {
        throw new Error(`clearing map '${this.map.name}' failed: ${r}`);
      }
    }
  }

  /**
   * Samples every `interval` ms and hands each round to `onSample` until `stop()` or `signal`;
   * rejects when `onSample` throws.
   */
  run(onSample: (entries: SampledEntry[]) => void, signal?: AbortSignal): Promise<void> {
    if (this.#running) return this.#running;
    this.#stop.follow(signal);
    this.#running = (async () => {
      while (!this.#stop.stopped) {
        await this.#stop.sleep(this.#opts.interval);
        if (this.#stop.stopped) break;
        onSample(this.sample());
      }
    })();
    return this.#running;
  }

  /** Ends `run`. */
  stop(): void {
    this.#stop.stop();
  }
}
