/**
 * JSON lines straight from record bytes: for a struct of plain integers, bools, pointers and
 * `char[N]` a generated function writes the line `toJsonLine(decode(bytes)) + "\n"` would
 * give, as UTF-8, into a byte buffer: no object, no bigint, no number-to-string conversion.
 * @module
 */
import { type Btf, Kind } from "../btf/mod.ts";
import { decodeCString, structFields } from "../decode/mod.ts";
import {
  compileRecordEncoder,
  type RecordEncoder,
  scalarFields,
  scalarFieldsSize,
  type TextWriter,
  writeValue,
} from "./record_encoder.ts";

/** Writes one record's JSON line into `dst` at `at`; returns the end position. */
export type JsonLineEncoder = RecordEncoder;

const utf8 = new TextEncoder();

/** `char[len]` at `at` of `src` as a JSON string (as `JSON.stringify(decodeCString(…))`). */
function putCString(dst: Uint8Array, p: number, src: Uint8Array, at: number, len: number) {
  const start = p;
  dst[p++] = 34;
  for (let i = 0; i < len; i++) {
    const c = src[at + i];
    if (c === 0) break;
    if (c < 0x20 || c === 34 || c === 92 || c >= 0x7f) {
      const s = JSON.stringify(decodeCString(src, at, len));
      return start + utf8.encodeInto(s, dst.subarray(start)).written;
    }
    dst[p++] = c;
  }
  dst[p++] = 34;
  return p;
}

const JSON_TEXT: TextWriter = {
  call: (start, length) => `putCString(dst, p, s, ${start}, ${length})`,
  max: (length) => 6 * length + 2, // an escaped char is at most 6 bytes (`\u00XX`), plus quotes
};

/**
 * The JSON line encoder of BTF type `typeId`, or undefined when its layout has anything but
 * byte-aligned integers (≤ 64 bits), bools, pointers and `char[N]`, or repeats a member name
 * (then use `toJsonLine(decode(b))`).
 */
export function buildJsonLineEncoder(btf: Btf, typeId: number): JsonLineEncoder | undefined {
  if (btf.resolve(typeId).kind !== Kind.STRUCT) return undefined;
  const fields = scalarFields(btf, structFields(btf, typeId));
  if (!fields || new Set(fields.map((f) => f.name)).size !== fields.length) return undefined;
  const body = [`dst[p++] = 123;`];
  let max = 3; // "{", "}", "\n"
  for (const [i, f] of fields.entries()) {
    const key = utf8.encode(`${i ? "," : ""}${JSON.stringify(f.name)}:`);
    body.push(...Array.from(key, (c, k) => `dst[p + ${k}] = ${c};`), `p += ${key.length};`);
    const value = writeValue(f, JSON_TEXT);
    body.push(value.code);
    max += key.length + value.max;
  }
  body.push(`dst[p] = 125; dst[p + 1] = 10; return p + 2;`);
  return compileRecordEncoder(scalarFieldsSize(fields), max, body, { putCString });
}
