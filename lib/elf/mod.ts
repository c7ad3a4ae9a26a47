/**
 * ELF64 little-endian reader for BPF objects: sections, names and symbols.
 * @module
 */
export * from "./errors.ts";
export * from "./constants.ts";
export * from "./reader.ts";
export * from "./strip.ts";
export * from "./extent.ts";
