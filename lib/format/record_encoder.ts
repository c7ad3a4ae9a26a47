/**
 * The one mechanism behind the byte encoders of `--json` and the plain table: a struct whose
 * fields are all plain integers, bools, pointers or `char[N]` is printed by a generated
 * function that reads the record's bytes and writes the output line's UTF-8 bytes into a
 * reused buffer, with no decoded object, bigint or string per event. Each format supplies
 * what goes between the values (keys, column padding) and how a C string is written.
 * @module
 */
import { type Btf, isBoolInt, isTextChar, Kind } from "../btf/mod.ts";
import type { StructField } from "../decode/mod.ts";
import { putI32, putI64, putU32, putU64 } from "./digits.ts";

/** Writes one record's line into `dst` at `at`; returns the end position. */
export type RecordEncoder = ((src: Uint8Array, dst: Uint8Array, at: number) => number) & {
  /** The most bytes one line can take. */
  maxBytes: number;
  /**
   * The same for a record given as `length` bytes at `offset` of `view` (a ring reader's
   * `{ at }` form): no view object per record.
   */
  at: (view: DataView, offset: number, length: number, dst: Uint8Array, at: number) => number;
};

/** A field the encoders print straight from the record bytes, at byte offset `at`. */
export type ScalarField =
  & { name: string; at: number }
  & (
    | { kind: "int"; size: 1 | 2 | 4 | 8; signed: boolean }
    | { kind: "bool"; size: 1 | 2 | 4 | 8 }
    | { kind: "cstring"; length: number }
  );

/**
 * `fields` as scalar fields, or undefined when one of them is anything else (enums, floats,
 * bitfields, nested structs, other arrays, 128-bit integers): those keep the decoder path.
 * The kinds match what the generated decoders make of them (see `DecodedValue`).
 */
export function scalarFields(
  btf: Btf,
  fields: readonly StructField[],
): ScalarField[] | undefined {
  const out: ScalarField[] = [];
  for (const f of fields) {
    if (f.bitSize || f.bitOffset % 8) return undefined;
    const at = f.bitOffset / 8;
    const t = btf.resolve(f.type);
    if (t.kind === Kind.INT) {
      const size = t.size as 1 | 2 | 4 | 8;
      if (t.offset !== 0 || t.bits !== size * 8 || ![1, 2, 4, 8].includes(size)) return undefined;
      const bool = isBoolInt(t);
      out.push(
        bool
          ? { name: f.name, at, kind: "bool", size }
          : { name: f.name, at, kind: "int", size, signed: t.signed },
      );
    } else if (t.kind === Kind.PTR) { // BPF pointers are 64-bit addresses
      out.push({ name: f.name, at, kind: "int", size: 8, signed: false });
    } else if (t.kind === Kind.ARRAY) {
      // Only arrays of plain `char` are text, as the decoder has it.
      if (!isTextChar(btf.skipModifiers(t.type))) return undefined;
      out.push({ name: f.name, at, kind: "cstring", length: t.nelems });
    } else return undefined;
  }
  return out;
}

/** Bytes the fields span from offset 0. */
export function scalarFieldsSize(fields: readonly ScalarField[]): number {
  let size = 0;
  for (const f of fields) size = Math.max(size, f.at + (f.kind === "cstring" ? f.length : f.size));
  return size;
}

/**
 * How a format writes a C string: `call` gives the source of the expression writing
 * `char[length]` found at source position `start` of `s` to `p` and giving the end; `max` the
 * most bytes that takes.
 */
export interface TextWriter {
  /** The call's source, e.g. `putText(dst, p, s, ${start}, ${length})`. */
  call(start: string, length: number): string;
  /** The most bytes the text of `char[length]` takes. */
  max(length: number): number;
}

/**
 * Source of the statement that writes field `f`'s value at `p` (advancing it), and the most
 * bytes it writes. Integers and bools print the same in every format; C strings as `text`.
 */
export function writeValue(f: ScalarField, text: TextWriter): { code: string; max: number } {
  const o = (k: number) => `o + ${f.at + k}`;
  switch (f.kind) {
    case "cstring":
      return { code: `p = ${text.call(o(0), f.length)};`, max: text.max(f.length) };
    case "bool": {
      const v = f.size === 8
        ? `(d.getUint32(${o(0)}, true) | d.getUint32(${o(4)}, true))`
        : intRead(f.size, false, o(0));
      return { code: `p = ${v} !== 0 ? putTrue(dst, p) : putFalse(dst, p);`, max: 5 };
    }
    case "int":
      if (f.size === 8) {
        const put = f.signed ? "putI64" : "putU64";
        const hi = `d.get${f.signed ? "Int" : "Uint"}32(${o(4)}, true)`;
        return { code: `p = ${put}(dst, p, d.getUint32(${o(0)}, true), ${hi});`, max: 20 };
      }
      return {
        code: `p = ${f.signed ? "putI32" : "putU32"}(dst, p, ${intRead(f.size, f.signed, o(0))});`,
        max: 11,
      };
  }
}

function intRead(size: 1 | 2 | 4, signed: boolean, p: string): string {
  if (size === 1) return signed ? `(s[${p}] << 24 >> 24)` : `s[${p}]`;
  return `d.get${signed ? "Int" : "Uint"}${size * 8}(${p}, true)`;
}

const putTrue = (dst: Uint8Array, p: number) => {
  dst[p] = 116, dst[p + 1] = 114, dst[p + 2] = 117, dst[p + 3] = 101;
  return p + 4;
};
const putFalse = (dst: Uint8Array, p: number) => {
  dst[p] = 102, dst[p + 1] = 97, dst[p + 2] = 108, dst[p + 3] = 115, dst[p + 4] = 101;
  return p + 5;
};

/** What every encoder's source may call. */
const COMMON = { putU32, putI32, putU64, putI64, putTrue, putFalse };

/**
 * Compiles an encoder: `body` is the source of `line(o, dst, p)`, which reads the record at
 * `o` through `s` (its bytes) and `d` (a DataView), writes from `p`, and returns the end;
 * `helpers` are the extra names it calls. Records shorter than `size` are refused.
 */
export function compileRecordEncoder(
  size: number,
  maxBytes: number,
  body: readonly string[],
  helpers: Record<string, unknown> = {},
): RecordEncoder {
  const tooShort = `throw new RangeError("record of " + n + " bytes, the type needs ${size}");`;
  const source = [
    `"use strict";`,
    `let lbuf = null, d = null, s = null;`,
    `function encodeRecord(b, dst, p) {`,
    `const n = b.length;`,
    `if (n < ${size}) ${tooShort}`,
    `const buf = b.buffer;`,
    `if (buf !== lbuf) { d = new DataView(buf); s = new Uint8Array(buf); lbuf = buf; }`,
    `return line(b.byteOffset, dst, p);`,
    `}`,
    // The view form: the byte view is cached per DataView (the ring reader passes one).
    `let lv = null, lu = null;`,
    `encodeRecord.at = function encodeRecordAt(v, o, n, dst, p) {`,
    `if (n < ${size} || o !== (o >>> 0) || o + n > v.byteLength) ${tooShort}`,
    `if (v !== lv) { lu = new Uint8Array(v.buffer, v.byteOffset, v.byteLength); lv = v; }`,
    `d = v; s = lu; lbuf = null;`,
    `return line(o, dst, p);`,
    `};`,
    `function line(o, dst, p) {`,
    ...body,
    `}`,
    `return encodeRecord;`,
  ].join("\n");
  const all = { ...COMMON, ...helpers };
  const fn = new Function(...Object.keys(all), source)(...Object.values(all));
  return Object.assign(fn, { maxBytes }) as RecordEncoder;
}
