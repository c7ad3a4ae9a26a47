import { Errno, ffi, MapType, PERCPU_MAP_TYPES } from "../../ffi/mod.ts";
import { possibleCpus } from "./cpus.ts";

export { Errno, MapType, PERCPU_MAP_TYPES };

/** `bpf(2)` map commands by their kernel numbers (`BPF_MAP_LOOKUP_ELEM` = 1, …). */
export const MapCommand = {
  LOOKUP_ELEM: 1,
  UPDATE_ELEM: 2,
  DELETE_ELEM: 3,
  GET_NEXT_KEY: 4,
} as const;

/**
 * Bytes of one value as user space sees it: per-CPU maps hold one 8-byte-aligned slot per
 * possible CPU, so a lookup writes `roundup(valueSize, 8) * cpus` bytes.
 */
export function userValueSize(type: number, valueSize: number): number {
  if (!PERCPU_MAP_TYPES.has(type)) return valueSize;
  return ((valueSize + 7) & ~7) * possibleCpus().length;
}

/**
 * One map syscall on raw bytes (the caller has checked the sizes): returns 0 or a negative
 * errno, as libbpf does. `key` null means "first key" for `GET_NEXT_KEY`.
 */
export function mapCommand(
  fd: number,
  cmd: number,
  key: Uint8Array | null,
  value: Uint8Array | null,
  flags: bigint,
): number {
  const { libbpf } = ffi();
  switch (cmd) {
    case MapCommand.LOOKUP_ELEM:
      return libbpf.bpf_map_lookup_elem(fd, key!, value!);
    case MapCommand.UPDATE_ELEM:
      return libbpf.bpf_map_update_elem(fd, key!, value!, flags);
    case MapCommand.DELETE_ELEM:
      return libbpf.bpf_map_delete_elem(fd, key!);
    case MapCommand.GET_NEXT_KEY:
      return libbpf.bpf_map_get_next_key(fd, key, value!);
    default:
      return -Errno.EINVAL;
  }
}
