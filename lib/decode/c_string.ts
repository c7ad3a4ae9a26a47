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
/** Cache slots per field; a power of two. */
const CACHE_SLOTS = 64;

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
 * A reader for `char[length]`. Arrays up to `CACHED_CSTRING_MAX` bytes get a per-field cache
 * keyed by all `length` bytes (read as 32-bit words), so a repeated `comm` costs a few word
 * reads instead of building a string. Keying on every byte, not just up to the NUL, keeps the
 * cache exact.
 */
export function cStringReader(length: number): CStringReader {
  if (length === 0) return () => "";
  if (length > CACHED_CSTRING_MAX) {
    return (_view, bytes, start) => decodeCString(bytes, start, length);
  }
  const words = length >>> 2;
  const tail = length & 3;
  const stride = words + (tail ? 1 : 0);
  const keys = new Int32Array(CACHE_SLOTS * stride);
  const values: (string | undefined)[] = new Array<string | undefined>(CACHE_SLOTS).fill(undefined);
  const tailWord = (bytes: Uint8Array, p: number): number =>
    tail === 1
      ? bytes[p]
      : tail === 2
      ? bytes[p] | bytes[p + 1] << 8
      : bytes[p] | bytes[p + 1] << 8 | bytes[p + 2] << 16;

  return (view, bytes, start) => {
    let h = length;
    for (let i = 0; i < words; i++) {
      h = Math.imul(h ^ view.getInt32(start + 4 * i, true), 0x9e3779b1);
      h ^= h >>> 16;
    }
    if (tail) h = Math.imul(h ^ tailWord(bytes, start + 4 * words), 0x9e3779b1);
    const slot = h >>> 26; // top 6 bits: CACHE_SLOTS = 64
    const k = slot * stride;
    const cached = values[slot];
    if (cached !== undefined) {
      let i = 0;
      while (i < words && keys[k + i] === view.getInt32(start + 4 * i, true)) i++;
      if (i === words && (!tail || keys[k + words] === tailWord(bytes, start + 4 * words))) {
        return cached;
      }
    }
    const s = decodeCString(bytes, start, length);
    for (let i = 0; i < words; i++) keys[k + i] = view.getInt32(start + 4 * i, true);
    if (tail) keys[k + words] = tailWord(bytes, start + 4 * words);
    values[slot] = s;
    return s;
  };
}
