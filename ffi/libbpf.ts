/**
 * The libbpf functions we call (libbpf ≥ 1.1, `libbpf.so.1`), as a runtime-neutral symbol table.
 * libbpf 1.x returns negative error codes from int functions and NULL + errno from pointer
 * functions. Debian's 1.1 has no `ring__*` accessors: ring buffers are walked in `lib/export`.
 * @module
 */
import type { Bound, SymbolTable } from "./types.ts";

/** libbpf symbols, by C name. `prints: true` marks calls that may log through libbpf's print. */
export const LIBBPF_SYMBOLS = {
  // Object lifecycle.
  bpf_object__open_mem: {
    parameters: ["buffer", "usize", "buffer"],
    result: "pointer",
    prints: true,
  },
  bpf_object__load: { parameters: ["pointer"], result: "i32", prints: true },
  bpf_object__close: { parameters: ["pointer"], result: "void", prints: true },
  bpf_object__name: { parameters: ["pointer"], result: "pointer" },
  // Maps of an object.
  bpf_object__find_map_by_name: { parameters: ["pointer", "buffer"], result: "pointer" },
  bpf_object__next_map: { parameters: ["pointer", "pointer"], result: "pointer" },
  bpf_map__name: { parameters: ["pointer"], result: "pointer" },
  bpf_map__fd: { parameters: ["pointer"], result: "i32" },
  bpf_map__type: { parameters: ["pointer"], result: "u32" },
  bpf_map__key_size: { parameters: ["pointer"], result: "u32" },
  bpf_map__value_size: { parameters: ["pointer"], result: "u32" },
  bpf_map__max_entries: { parameters: ["pointer"], result: "u32" },
  bpf_map__set_max_entries: { parameters: ["pointer", "u32"], result: "i32", prints: true },
  bpf_map__set_initial_value: {
    parameters: ["pointer", "buffer", "usize"],
    result: "i32",
    prints: true,
  },
  bpf_map__initial_value: { parameters: ["pointer", "buffer"], result: "pointer" },
  // Programs of an object.
  bpf_object__find_program_by_name: { parameters: ["pointer", "buffer"], result: "pointer" },
  bpf_object__next_program: { parameters: ["pointer", "pointer"], result: "pointer" },
  bpf_program__name: { parameters: ["pointer"], result: "pointer" },
  bpf_program__section_name: { parameters: ["pointer"], result: "pointer" },
  bpf_program__fd: { parameters: ["pointer"], result: "i32" },
  // Attach and detach.
  bpf_program__attach: { parameters: ["pointer"], result: "pointer", prints: true },
  bpf_link__destroy: { parameters: ["pointer"], result: "i32", prints: true },
  bpf_tc_hook_create: { parameters: ["buffer"], result: "i32", prints: true },
  bpf_tc_hook_destroy: { parameters: ["buffer"], result: "i32", prints: true },
  bpf_tc_attach: { parameters: ["buffer", "buffer"], result: "i32", prints: true },
  bpf_tc_detach: { parameters: ["buffer", "buffer"], result: "i32", prints: true },
  bpf_xdp_attach: { parameters: ["i32", "i32", "u32", "buffer"], result: "i32", prints: true },
  bpf_xdp_detach: { parameters: ["i32", "u32", "buffer"], result: "i32", prints: true },
  bpf_xdp_query_id: { parameters: ["i32", "i32", "buffer"], result: "i32", prints: true },
  bpf_program__attach_perf_event: {
    parameters: ["pointer", "i32"],
    result: "pointer",
    prints: true,
  },
  /** (prog, pid, binary_path, func_offset, struct bpf_uprobe_opts*) */
  bpf_program__attach_uprobe_opts: {
    parameters: ["pointer", "i32", "buffer", "usize", "buffer"],
    result: "pointer",
    prints: true,
  },
  /** (prog, pid, binary_path, usdt_provider, usdt_name, opts = NULL) */
  bpf_program__attach_usdt: {
    parameters: ["pointer", "i32", "buffer", "buffer", "buffer", "pointer"],
    result: "pointer",
    prints: true,
  },
  bpf_tc_query: { parameters: ["buffer", "buffer"], result: "i32", prints: true },
  /** BPF links from a program fd (XDP, tcx): they go away with the last fd, even on SIGKILL. */
  bpf_link_create: { parameters: ["i32", "i32", "u32", "buffer"], result: "i32" },
  bpf_prog_get_fd_by_id: { parameters: ["u32"], result: "i32" },
  // Map syscalls (thin bpf(2) wrappers; they never log, so they are safe on the hot path).
  bpf_map_lookup_elem: { parameters: ["i32", "buffer", "buffer"], result: "i32" },
  bpf_map_update_elem: { parameters: ["i32", "buffer", "buffer", "u64"], result: "i32" },
  bpf_map_delete_elem: { parameters: ["i32", "buffer"], result: "i32" },
  bpf_map_get_next_key: { parameters: ["i32", "buffer", "buffer"], result: "i32" },
  // Errors.
  libbpf_strerror: { parameters: ["i32", "buffer", "usize"], result: "i32" },
  libbpf_get_error: { parameters: ["pointer"], result: "i64" },
} as const satisfies SymbolTable;

/**
 * libbpf symbols only a backend uses: the print hook (process-global, so backends own it: see
 * `FfiBackend.setLibbpfSink`) and the version (libbpf ≥ 0.6; see `FfiBackend.libbpfInfo`).
 */
export const LIBBPF_BACKEND_SYMBOLS = {
  libbpf_set_print: { parameters: ["function"], result: "pointer" },
  libbpf_major_version: { parameters: [], result: "u32" },
  libbpf_minor_version: { parameters: [], result: "u32" },
} as const satisfies SymbolTable;

/** The bound libbpf functions. */
export type Libbpf = Bound<typeof LIBBPF_SYMBOLS>;

/** libbpf's print levels (`enum libbpf_print_level`). */
export const LibbpfLevel = { WARN: 0, INFO: 1, DEBUG: 2 } as const;

/** `enum bpf_map_type` values this project cares about. */
export const MapType = {
  HASH: 1,
  ARRAY: 2,
  PROG_ARRAY: 3,
  PERF_EVENT_ARRAY: 4,
  PERCPU_HASH: 5,
  PERCPU_ARRAY: 6,
  STACK_TRACE: 7,
  LRU_HASH: 9,
  LRU_PERCPU_HASH: 10,
  RINGBUF: 27,
} as const;

/** Map types whose values are per possible CPU (each slot rounded up to 8 bytes). */
export const PERCPU_MAP_TYPES: ReadonlySet<number> = new Set([
  MapType.PERCPU_HASH,
  MapType.PERCPU_ARRAY,
  MapType.LRU_PERCPU_HASH,
]);

/** `enum bpf_tc_attach_point`. */
export const TcAttachPoint = { INGRESS: 1, EGRESS: 2, CUSTOM: 4 } as const;

/** `enum bpf_attach_type` values for links (tcx: Linux 6.6+, newer than Debian 12's headers). */
export const AttachType = { XDP: 37, TCX_INGRESS: 46, TCX_EGRESS: 47 } as const;

/** `bpf_map_update_elem` flags. */
export const UpdateFlags = { ANY: 0, NOEXIST: 1, EXIST: 2 } as const;
