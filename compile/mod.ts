/**
 * `ecc`: compiles eBPF C into an eunomia package (clang driver, shipped BPF headers,
 * vmlinux.h from kernel BTF, doc comments, export types).
 * @module
 */
export * from "./errors.ts";
export * from "./ecc.ts";
export * from "./dts.ts";
export * from "./doc_comments.ts";
export * from "./export_types.ts";
export * from "./skeleton.ts";
export * from "./toolchain.ts";
export * from "./vmlinux.ts";
export * from "./headers.ts";
export * from "./script.ts";
