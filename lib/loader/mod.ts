/**
 * The loader: a package's BPF object through libbpf — open from memory, initial values of
 * global variables at their BTF offsets, kernel BTF selection, load (errors carry the verifier
 * log), attach (auto-attach, then tc and XDP by hand) and a teardown that leaves nothing behind.
 *
 * ```ts
 * import { loadObject } from "./lib/loader/mod.ts";
 * const obj = loadObject(pkg, { variables: [{ section: ".rodata", name: "pid", bytes }] });
 * try { … obj.map("rb").fd … } finally { obj.close(); }
 * ```
 * @module
 */
export * from "./errors.ts";
export * from "./libbpf_log.ts";
export * from "./kernel_btf.ts";
export * from "./data_section.ts";
export * from "./attach.ts";
export * from "./attach_target.ts";
export * from "./perf_event.ts";
export * from "./cleanup.ts";
export * from "./netlink_record.ts";
export * from "./load_error.ts";
export * from "./kernel_support.ts";
export * from "./object.ts";
