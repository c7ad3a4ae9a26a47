/**
 * Program sources: read a file, URL, stdin or OCI reference, find its program type (flag,
 * name, content, media type), and hand it to the handler of that type (packages to the run
 * pipeline; tar and wasm runners plug in through `registerProgramHandler`).
 * @module
 */
export * from "./program_type.ts";
export * from "./tar_members.ts";
export * from "./read.ts";
export * from "./dispatch.ts";
export * from "./publish.ts";
