/**
 * JSON lines straight from record bytes: for a struct of plain integers, bools and `char[N]`
 * a generated function writes the line `toJsonLine(decode(bytes)) + "\n"` would give, as
 * UTF-8, into a byte buffer: no object, no bigint, no number-to-string conversion.
 * @module
 */
import { type Btf, Kind } from "../btf/mod.ts";
import { decodeCString, structFields } from "../decode/mod.ts";

/** Writes one record's JSON line into `dst` at `at`; returns the end position. */
export type JsonLineEncoder = ((src: Uint8Array, dst: Uint8Array, at: number) => number) & {
  /** The most bytes one line can take. */
  maxBytes: number;
  /**
   * The same for a record given as `length` bytes at `offset` of `view` (a ring reader's
   * `{ at }` form): no view object per record.
   */
  at: (view: DataView, offset: number, length: number, dst: Uint8Array, at: number) => number;
};

const PAIRS = new Uint8Array(200);
for (let i = 0; i < 100; i++) {
  PAIRS[2 * i] = 48 + Math.floor(i / 10);
  PAIRS[2 * i + 1] = 48 + (i % 10);
}
const utf8 = new TextEncoder();

/** Decimal digits of `n` (an integer in [0, 2^32)) at `p`; returns the end. */
function putU32(dst: Uint8Array, p: number, n: number): number {
  const len = n < 1e5
    ? (n < 10 ? 1 : n < 100 ? 2 : n < 1e3 ? 3 : n < 1e4 ? 4 : 5)
    : (n < 1e6 ? 6 : n < 1e7 ? 7 : n < 1e8 ? 8 : n < 1e9 ? 9 : 10);
  let e = p + len;
  while (n >= 100) {
    const q = (n / 100) >>> 0;
    const r = (n - q * 100) << 1;
    dst[--e] = PAIRS[r + 1];
    dst[--e] = PAIRS[r];
    n = q;
  }
  if (n >= 10) {
    dst[--e] = PAIRS[(n << 1) + 1];
    dst[--e] = PAIRS[n << 1];
  } else dst[--e] = 48 + n;
  return p + len;
}

/** Exactly 8 digits of `n` < 1e8 at `p`. */
function put8(dst: Uint8Array, p: number, n: number): number {
  for (let e = p + 8; e > p;) {
    const q = (n / 100) >>> 0;
    const r = (n - q * 100) << 1;
    dst[--e] = PAIRS[r + 1];
    dst[--e] = PAIRS[r];
    n = q;
  }
  return p + 8;
}

function putAscii(dst: Uint8Array, p: number, s: string): number {
  for (let i = 0; i < s.length; i++) dst[p++] = s.charCodeAt(i);
  return p;
}

/** The unsigned 64-bit integer `hi:lo` in decimal (doubles only ever hold exact values). */
function putU64(dst: Uint8Array, p: number, lo: number, hi: number): number {
  if (hi === 0) return putU32(dst, p, lo);
  let q: number;
  let r: number;
  if (hi < 0x200000) { // below 2^53: one exact double
    const n = hi * 4294967296 + lo;
    q = Math.floor(n / 1e8);
    r = n - q * 1e8;
  } else { // long division by 1e8 in 32/16/16-bit steps, every step below 2^53
    const qa = Math.floor(hi / 1e8);
    const b = (hi - qa * 1e8) * 65536 + (lo >>> 16);
    const qb = Math.floor(b / 1e8);
    const c = (b - qb * 1e8) * 65536 + (lo & 0xffff);
    const qc = Math.floor(c / 1e8);
    q = qa * 4294967296 + qb * 65536 + qc;
    r = c - qc * 1e8;
  }
  if (q < 4294967296) p = putU32(dst, p, q);
  else {
    const qq = Math.floor(q / 1e8);
    p = put8(dst, putU32(dst, p, qq), q - qq * 1e8);
  }
  return put8(dst, p, r);
}

/** The signed 64-bit integer `hi:lo` (hi read as int32) in decimal. */
function putI64(dst: Uint8Array, p: number, lo: number, hi: number): number {
  if (hi >= 0) return putU64(dst, p, lo, hi);
  dst[p++] = 45; // '-': negate the two's complement
  const nlo = (~lo + 1) >>> 0;
  const nhi = (~hi + (nlo === 0 ? 1 : 0)) >>> 0;
  return putU64(dst, p, nlo, nhi);
}

function putI32(dst: Uint8Array, p: number, n: number): number {
  if (n >= 0) return putU32(dst, p, n);
  dst[p++] = 45;
  return putU32(dst, p, -n);
}

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

const HELPERS = { putU32, putI32, putU64, putI64, putCString };

/**
 * The JSON line encoder of BTF type `typeId`, or undefined when its layout has anything but
 * byte-aligned integers (≤ 64 bits), bools and `char[N]` (then use `toJsonLine(decode(b))`).
 */
export function buildJsonLineEncoder(btf: Btf, typeId: number): JsonLineEncoder | undefined {
  const t = btf.resolve(typeId);
  if (t.kind !== Kind.STRUCT) return undefined;
  const fields = structFields(btf, typeId);
  if (new Set(fields.map((f) => f.name)).size !== fields.length) return undefined;
  const lines: string[] = [];
  let max = 3; // "{", "}", "\n"
  let size = 0;
  for (const [i, f] of fields.entries()) {
    if (f.bitSize || f.bitOffset % 8) return undefined;
    const at = f.bitOffset / 8;
    const key = utf8.encode(`${i ? "," : ""}${JSON.stringify(f.name)}:`);
    lines.push(...Array.from(key, (c, k) => `dst[p + ${k}] = ${c};`), `p += ${key.length};`);
    max += key.length;
    const ft = btf.resolve(f.type);
    if (ft.kind === Kind.INT) {
      if (ft.offset !== 0 || ft.bits !== ft.size * 8) return undefined;
      const bool = ft.bool || (ft.size === 1 && (ft.name === "_Bool" || ft.name === "bool"));
      if (bool) {
        const v = ft.size === 1 ? `s[o + ${at}]` : intRead(ft.size, false, at);
        if (!v) return undefined;
        lines.push(`p = ${v} !== 0 ? putTrue(dst, p) : putFalse(dst, p);`);
        max += 5;
      } else if (ft.size === 8) {
        const put = ft.signed ? "putI64" : "putU64";
        const hi = ft.signed
          ? `d.getInt32(o + ${at + 4}, true)`
          : `d.getUint32(o + ${at + 4}, true)`;
        lines.push(`p = ${put}(dst, p, d.getUint32(o + ${at}, true), ${hi});`);
        max += 20;
      } else {
        const v = intRead(ft.size, ft.signed, at);
        if (!v) return undefined;
        lines.push(`p = ${ft.signed ? "putI32" : "putU32"}(dst, p, ${v});`);
        max += 11;
      }
      size = Math.max(size, at + ft.size);
    } else if (ft.kind === Kind.ARRAY) {
      const elem = btf.skipModifiers(ft.type);
      if (!(elem.kind === Kind.INT && elem.size === 1 && (elem.char || elem.name === "char"))) {
        return undefined;
      }
      lines.push(`p = putCString(dst, p, s, o + ${at}, ${ft.nelems});`);
      max += 6 * ft.nelems + 2;
      size = Math.max(size, at + ft.nelems);
    } else return undefined;
  }
  const tooShort = `throw new RangeError("record of " + n + " bytes, the type needs ${size}");`;
  const source = [
    `"use strict";`,
    `let lbuf = null, d = null, s = null;`,
    `function encodeJsonLine(b, dst, p) {`,
    `if (b.length < ${size}) throw new RangeError("record of " + b.length + " bytes, the type needs ${size}");`,
    `const buf = b.buffer;`,
    `if (buf !== lbuf) { d = new DataView(buf); s = new Uint8Array(buf); lbuf = buf; }`,
    `return line(b.byteOffset, dst, p);`,
    `}`,
    // The view form: the byte view is cached per DataView (the ring reader passes one).
    `let lv = null, lu = null;`,
    `encodeJsonLine.at = function encodeJsonLineAt(v, o, n, dst, p) {`,
    `if (n < ${size} || o !== (o >>> 0) || o + n > v.byteLength) ${tooShort}`,
    `if (v !== lv) { lu = new Uint8Array(v.buffer, v.byteOffset, v.byteLength); lv = v; }`,
    `d = v; s = lu; lbuf = null;`,
    `return line(o, dst, p);`,
    `};`,
    `function line(o, dst, p) {`,
    `dst[p++] = 123;`,
    ...lines,
    `dst[p] = 125; dst[p + 1] = 10; return p + 2;`,
    `}`,
    `return encodeJsonLine;`,
  ].join("\n");
  const putTrue = (dst: Uint8Array, p: number) => putAscii(dst, p, "true");
  const putFalse = (dst: Uint8Array, p: number) => putAscii(dst, p, "false");
  const names = [...Object.keys(HELPERS), "putTrue", "putFalse"];
  const fn = new Function(...names, source)(...Object.values(HELPERS), putTrue, putFalse);
  return Object.assign(fn, { maxBytes: max }) as JsonLineEncoder;
}

function intRead(size: number, signed: boolean, at: number): string | undefined {
  switch (size) {
    case 1:
      return signed ? `(s[o + ${at}] << 24 >> 24)` : `s[o + ${at}]`;
    case 2:
      return `d.get${signed ? "Int" : "Uint"}16(o + ${at}, true)`;
    case 4:
      return `d.get${signed ? "Int" : "Uint"}32(o + ${at}, true)`;
    default:
      return undefined;
  }
}
