/**
 * Running a package: flags → loader → export readers → decoders → printed output.
 * @module
 */
export * from "./errors.ts";
export * from "./exports.ts";
export * from "./output.ts";
export * from "./printer.ts";
export * from "./runner.ts";
export * from "./handler.ts";
export * from "./maps.ts";
export * from "./program.ts";
export * from "./stacks.ts";
export * from "./attach_targets.ts";
