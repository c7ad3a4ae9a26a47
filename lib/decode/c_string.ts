/**
 * C strings (`char[N]`) to JS strings without a `TextDecoder` call per event: ASCII is built
 * with `String.fromCharCode`, and short arrays go through a small cache keyed by their bytes,
 * because a `TextDecoder.decode` call costs ~100 ns, more than decoding the rest of an event.
 * @module
 */

const fromCharCode = String.fromCharCode;
let utf8: TextDecoder | undefined;

/** Char arrays up to this many bytes are cached by content (covers `comm[16]`, `TASK_COMM_LEN`). */
export const CACHED_CSTRING_MAX = 64;
/** log2 of the cache slots per field. */
const SLOT_BITS = 6;
const CACHE_SLOTS = 1 << SLOT_BITS;

/**
 * Decodes the C string in `bytes[start, start + length)`: up to the first NUL, or the whole
 * array when there is none. Invalid UTF-8 becomes U+FFFD; this never throws.
 */
export function decodeCString(bytes: Uint8Array, start: number, length: number): string {
  const limit = start + length;
  let end = start;
  let high = 0;
  while (end < limit) {
    const c = bytes[end];
    if (c === 0) break;
    high |= c;
    end++;
  }
  return high < 0x80 ? asciiString(bytes, start, end) : utf8String(bytes, start, end);
}

/** Builds an ASCII string with exact-arity `fromCharCode` calls (no view, no array). */
function asciiString(b: Uint8Array, s: number, e: number): string {
  let out = "";
  while (e - s >= 8) {
    out += fromCharCode(b[s], b[s + 1], b[s + 2], b[s + 3], b[s + 4], b[s + 5], b[s + 6], b[s + 7]);
    s += 8;
  }
  switch (e - s) {
    case 0:
      return out;
    case 1:
      return out + fromCharCode(b[s]);
    case 2:
      return out + fromCharCode(b[s], b[s + 1]);
    case 3:
      return out + fromCharCode(b[s], b[s + 1], b[s + 2]);
    case 4:
      return out + fromCharCode(b[s], b[s + 1], b[s + 2], b[s + 3]);
    case 5:
      return out + fromCharCode(b[s], b[s + 1], b[s + 2], b[s + 3], b[s + 4]);
    case 6:
      return out + fromCharCode(b[s], b[s + 1], b[s + 2], b[s + 3], b[s + 4], b[s + 5]);
    default:
      return out +
        fromCharCode(b[s], b[s + 1], b[s + 2], b[s + 3], b[s + 4], b[s + 5], b[s + 6]);
  }
}

function utf8String(bytes: Uint8Array, start: number, end: number): string {
  utf8 ??= new TextDecoder("utf-8", { fatal: false });
  let view = bytes.subarray(start, end);
  // TextDecoder refuses views over shared memory in some runtimes.
  if (typeof SharedArrayBuffer !== "undefined" && view.buffer instanceof SharedArrayBuffer) {
    view = view.slice();
  }
  return utf8.decode(view);
}

/** Reads the C string of a fixed-size char array at `start`; `view` covers the same bytes. */
export type CStringReader = (view: DataView, bytes: Uint8Array, start: number) => string;

/**
 * A reader for `char[length]`. Arrays up to `CACHED_CSTRING_MAX` bytes get a per-reader cache
 * of `CACHE_SLOTS` strings keyed by all `length` bytes, so a repeated `comm` costs a few word
 * reads and compares instead of building a string. Keying on every byte, not just up to the
 * NUL, keeps the cache exact. The reader is generated per length with the word reads unrolled
 * (a loop over the words cost as much as the rest of a 64-byte event).
 */
export function cStringReader(length: number): CStringReader {
  if (length === 0) return () => "";
  if (length > CACHED_CSTRING_MAX) {
    return (_view, bytes, start) => decodeCString(bytes, start, length);
  }
  const words = length >>> 2;
  const tail = length & 3;
  const key: string[] = [];
  for (let i = 0; i < words; i++) key.push(`d.getInt32(s + ${4 * i}, true)`);
  if (tail) {
    const at = 4 * words;
    const bytes = Array.from(
      { length: tail },
      (_, j) => j ? `u[s + ${at + j}] << ${8 * j}` : `u[s + ${at}]`,
    );
    key.push(`(${bytes.join(" | ")})`);
  }
  const stride = key.length;
  const w = key.map((_, i) => `w${i}`);
  // Each word gets its own odd multiplier (independent multiplies), then one final mix.
  const mix = w.map((v, i) => i ? `Math.imul(${v}, ${(0x9e3779b1 + 2 * i * 0x85ebca6b) | 1})` : v);
  const source = [
    `"use strict";`,
    `return function readCString(d, u, s) {`,
    ...w.map((v, i) => `const ${v} = ${key[i]};`),
    `let h = ${mix.join(" ^ ")};`,
    `h = Math.imul(h ^ (h >>> 16), 0x9e3779b1) >>> ${32 - SLOT_BITS};`,
    `const k = h * ${stride};`,
    `const cached = values[h];`,
    `if (cached !== undefined && ${w.map((v, i) => `keys[k + ${i}] === ${v}`).join(" && ")}) {`,
    `return cached;`,
    `}`,
    `const str = decodeCString(u, s, ${length});`,
    ...w.map((v, i) => `keys[k + ${i}] = ${v};`),
    `values[h] = str;`,
    `return str;`,
    `};`,
  ].join("\n");
  const keys = new Int32Array(CACHE_SLOTS * stride);
  const values = new Array<string | undefined>(CACHE_SLOTS).fill(undefined);
  return new Function("keys", "values", "decodeCString", source)(keys, values, decodeCString);
}
