/**
 * Program flags generated from a package's data-section variables: discovery, parsing, help,
 * and encoding of values as the variables' BTF types.
 * @module
 */
export * from "./errors.ts";
export * from "./encode.ts";
export * from "./flags.ts";
export * from "./help.ts";
