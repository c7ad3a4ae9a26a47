import { ffi } from "../../ffi/mod.ts";

/** What reading a stack needs of a `BPF_MAP_TYPE_STACK_TRACE` map. */
export interface StackMapTarget {
  /** The map's fd. */
  fd: number;
  /** Value size: 8 bytes per frame slot (`PERF_MAX_STACK_DEPTH` × 8 by default). */
  valueSize: number;
}

/**
 * A reader of a stack-trace map: the addresses stored under a stack id (from
 * `bpf_get_stackid`), innermost first, up to the first empty slot; undefined when the id has
 * no entry (evicted, or never written).
 */
export function stackMapReader(map: StackMapTarget): (id: number) => bigint[] | undefined {
  const key = new Uint32Array(1);
  const value = new BigUint64Array(Math.max(1, map.valueSize / 8));
  const keyBytes = new Uint8Array(key.buffer);
  const valueBytes = new Uint8Array(value.buffer);
  return (id) => {
    key[0] = id;
    if (ffi().libbpf.bpf_map_lookup_elem(map.fd, keyBytes, valueBytes) < 0) return undefined;
    const out: bigint[] = [];
    for (const a of value) {
      if (a === 0n) break;
      out.push(a);
    }
    return out;
  };
}
