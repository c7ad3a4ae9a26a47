/**
 * The eunomia package format: zod schema, validation with field paths, zlib/base64 codec,
 * sorted-key serialisation (JSON or YAML).
 * @module
 */
export * from "./errors.ts";
export * from "./schema.ts";
export * from "./codec.ts";
export * from "./encode.ts";
export * from "./summary.ts";
export * from "./load.ts";
export * from "./tar.ts";
export * from "./btf_archive.ts";
export * from "./tar_package.ts";
