/**
 * Event decoding: BTF type → a decoder generated once per type → plain JS values (numbers,
 * exact bigints for 64-bit integers, strings for `char[N]`, enum names, nested objects).
 * @module
 */
export * from "./errors.ts";
export * from "./fields.ts";
export * from "./decoder.ts";
export * from "./view.ts";
export {
  CACHED_CSTRING_MAX,
  type CStringReader,
  cStringReader,
  decodeCString,
} from "./c_string.ts";
