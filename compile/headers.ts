import { fileURLToPath } from "node:url";

/**
 * The directory holding the shipped BPF headers (`bpf/bpf_helpers.h`, …) and bundled
 * `vmlinux/<arch>/vmlinux.h.gz`.
 */
export function includeRoot(): string {
  return fileURLToPath(new URL("./include/", import.meta.url)).replace(/\/$/, "");
}
