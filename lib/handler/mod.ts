/**
 * User handlers: the API types, loading and validating a handler module (or `-e` code), and
 * dispatching events to it with a bounded queue.
 * @module
 */
export * from "./types.ts";
export * from "./errors.ts";
export * from "./module.ts";
export * from "./dispatch.ts";
export * from "./emit.ts";
export * from "./stack.ts";
export * from "./shell.ts";
export * from "./exec.ts";
