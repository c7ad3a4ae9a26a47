/**
 * Tasks: many packages running at once in one process (what `ecli server` serves), each with
 * its own loaded object, a bounded log of what it prints, and pause/resume.
 * @module
 */
export * from "./errors.ts";
export * from "./log.ts";
export * from "./manager.ts";
export * from "./source.ts";
