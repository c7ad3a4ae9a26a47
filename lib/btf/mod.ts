/**
 * BTF: parse every kind, apply libbpf's DATASEC fix-up, compute sizes and alignments, and
 * render C type names. The single source of type truth for compiler, loader and decoder.
 * @module
 */
export * from "./errors.ts";
export * from "./types.ts";
export * from "./btf.ts";
export * from "./parse.ts";
export * from "./type_name.ts";
export * from "./datasec.ts";
export * from "./object.ts";
export * from "./c_header.ts";
export * from "./wasm_header.ts";
export * from "./ext.ts";
export * from "./writer.ts";
