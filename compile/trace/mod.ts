/**
 * `ecli trace`: BPF programs generated from probe specs (tracepoints from tracefs formats,
 * kernel functions from BTF, uprobes), with in-kernel filters and aggregations, compiled by
 * ecc through the build cache.
 * @module
 */
export * from "./errors.ts";
export * from "./fields.ts";
export * from "./tracefs.ts";
export * from "./kernel_functions.ts";
export * from "./probe.ts";
export * from "./filter.ts";
export * from "./program.ts";
export * from "./build.ts";
export * from "./list.ts";
