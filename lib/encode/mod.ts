/**
 * Encoding: JS values → the bytes of a BTF type, the inverse of `lib/decode`. Used to write
 * map keys and values from TypeScript (`ctx.maps.<name>.set(key, value)`).
 *
 * ```ts
 * const encode = buildEncoder(btf, keyTypeId, "key");
 * const bytes = encode({ pid: 42, comm: "bash" });
 * ```
 * @module
 */
export { EncodeError } from "./errors.ts";
export * from "./encoder.ts";
