/**
 * Generates the JavaScript source of a decoder for one BTF layout. Every offset, width and
 * conversion is decided here, once; the generated function is straight-line reads into an
 * object (or array) literal, with loops only for arrays. Names in the source come from BTF, so
 * they are only ever emitted as JSON-quoted property keys.
 * @module
 */
import { type Btf, type EnumType, isBoolInt, isTextChar, Kind } from "../btf/mod.ts";
import { cStringReader } from "./c_string.ts";
import { DecodeError } from "./errors.ts";
import { type StructField, structFields } from "./fields.ts";
import { readBitsBigInt, readBitsNumber, readF16, readI128, readU128 } from "./scalars.ts";

/** Nesting deeper than this is taken as a malformed (cyclic) type graph. */
const MAX_DEPTH = 32;
/** Enums whose values all lie in [0, this) are looked up in an array instead of a Map. */
const DENSE_ENUM_LIMIT = 1024;

/** What a generated function returns for its list of fields. */
export type DecoderShape =
  /** The value of the single field itself (a decoder for a non-struct type). */
  | "value"
  /** A plain object keyed by field name, in field order. */
  | "object"
  /** An array of field values, in field order. */
  | "row";

/** What the post-processing of a bitfield's integer is. */
type BitfieldPost = { kind: "int" } | { kind: "bool" } | { kind: "enum"; type: EnumType };

/** Decodes `length` bytes at `offset` of `view` (the record; it may be longer than the value). */
export type ViewDecodeFn = (view: DataView, offset: number, length: number) => unknown;

/** A generated decoder: the bytes form, with the view form as its `at` property. */
export type DecodeFn = ((bytes: Uint8Array, offset?: number) => unknown) & {
  readonly at: ViewDecodeFn;
};

/**
 * Builds the decoder functions for `fields` (offsets relative to the start of the value) that
 * need `size` bytes; `what` names the type in error messages.
 */
export function compileDecoder(
  btf: Btf,
  fields: readonly StructField[],
  shape: DecoderShape,
  size: number,
  what: string,
): DecodeFn {
  const gen = new SourceBuilder(btf);
  const body: string[] = [];
  const exprs = fields.map((f) =>
    gen.value(f.type, "o", f.bitOffset, f.bitSize, body, f.name ? `${what}.${f.name}` : what, 0)
  );
  let result: string;
  if (shape === "value") result = exprs[0];
  else if (shape === "row") result = `[${exprs.join(", ")}]`;
  else result = `{ ${fields.map((f, i) => `${propertyKey(f.name)}: ${exprs[i]}`).join(", ")} }`;

  const tooShort = (length: number, offset: unknown) =>
    new DecodeError(
      `${what}: needs ${size} bytes at offset ${String(offset)}, the buffer has ${length}`,
    );
  const recordTooShort = (view: DataView, offset: number, length: number) =>
    new DecodeError(
      `${what}: needs ${size} bytes, the record has ${length} (at offset ${offset} of a view ` +
        `of ${view.byteLength})`,
    );
  const source = [
    `"use strict";`,
    // The byte view is cached per DataView: a ring reader passes the same one for every record.
    `let lv = null, u = null;`,
    `function at(d, o, n) {`,
    `if (n < ${size} || o !== (o >>> 0) || o + n > d.byteLength) throw recordTooShort(d, o, n);`,
    `if (d !== lv) { u = new Uint8Array(d.buffer, d.byteOffset, d.byteLength); lv = d; }`,
    ...body,
    `return ${result};`,
    `}`,
    // The bytes form: one DataView per buffer, then the view form.
    `let lbuf = null, bd = null;`,
    `function decode(b, o = 0) {`,
    `if (o !== (o >>> 0) || o + ${size} > b.length) throw tooShort(b.length, o);`,
    `const buf = b.buffer;`,
    `if (buf !== lbuf) { bd = new DataView(buf); lbuf = buf; }`,
    `return at(bd, b.byteOffset + o, b.length - o);`,
    `}`,
    `decode.at = at;`,
    `return decode;`,
  ].join("\n");
  const names = ["tooShort", "recordTooShort", ...gen.names];
  const values = [tooShort, recordTooShort, ...gen.values];
  return new Function(...names, source)(...values);
}

/** A JS object-literal key for a BTF member name. */
export function propertyKey(name: string): string {
  // `{"__proto__": x}` would set the prototype; a computed key defines an own property.
  return name === "__proto__" ? `["__proto__"]` : JSON.stringify(name);
}

/** `base + offset` as source text. */
function at(base: string, byteOffset: number): string {
  return byteOffset === 0 ? base : `${base} + ${byteOffset}`;
}

/** Builds the source of generated readers: expressions per BTF type and the constants they use. */
export class SourceBuilder {
  readonly names: string[] = [
    "readU128",
    "readI128",
    "readF16",
    "readBitsNumber",
    "readBitsBigInt",
  ];
  readonly values: unknown[] = [readU128, readI128, readF16, readBitsNumber, readBitsBigInt];
  #btf: Btf;
  #counter = 0;

  constructor(btf: Btf) {
    this.#btf = btf;
  }

  /** Passes `value` into the generated function under a fresh name. */
  constant(prefix: string, value: unknown): string {
    const name = this.fresh(prefix);
    this.names.push(name);
    this.values.push(value);
    return name;
  }

  fresh(prefix: string): string {
    return `${prefix}${this.#counter++}`;
  }

  /**
   * Source text of the expression that decodes type `id` found `bitOffset` bits after `base`
   * (a source expression for a byte position). Statements it needs first go to `out`.
   */
  value(
    id: number,
    base: string,
    bitOffset: number,
    bitSize: number,
    out: string[],
    path: string,
    depth: number,
  ): string {
    if (depth > MAX_DEPTH) throw new DecodeError(`${path}: types nest too deep (cyclic BTF?)`);
    const t = this.#btf.resolve(id);
    if (bitSize > 0 || bitOffset % 8 !== 0) {
      return this.bitfield(id, base, bitOffset, bitSize, out, path);
    }
    const p = at(base, bitOffset / 8);
    switch (t.kind) {
      case Kind.INT:
        if (t.offset !== 0 || t.bits !== t.size * 8) {
          return this.bitfield(id, base, bitOffset, 0, out, path);
        }
        if (isBoolInt(t)) {
          return t.size === 1 ? `(u[${p}] !== 0)` : `(${intRead(t.size, false, p, path)} != 0)`;
        }
        return intRead(t.size, t.signed, p, path);
      case Kind.ENUM:
      case Kind.ENUM64: {
        const bigint = t.size === 8;
        const v = this.fresh("v");
        out.push(`const ${v} = ${intRead(t.size, t.signed, p, path)};`);
        return this.enumLookup(t, v, t.size * 8, bigint);
      }
      case Kind.FLOAT:
        if (t.size === 4) return `d.getFloat32(${p}, true)`;
        if (t.size === 8) return `d.getFloat64(${p}, true)`;
        if (t.size === 2) return `readF16(d, ${p})`;
        throw new DecodeError(`${path}: ${t.size}-byte float \`${t.name}\` is not supported`);
      case Kind.PTR:
        return `d.getBigUint64(${p}, true)`; // BPF pointers are always 64-bit
      case Kind.ARRAY:
        return this.array(t.type, t.nelems, p, out, path, depth);
      case Kind.STRUCT:
      case Kind.UNION: {
        const fields = structFields(this.#btf, t.id);
        const props = fields.map((f) => {
          const v = this.value(
            f.type,
            base,
            bitOffset + f.bitOffset,
            f.bitSize,
            out,
            `${path}.${f.name}`,
            depth + 1,
          );
          return `${propertyKey(f.name)}: ${v}`;
        });
        return `{ ${props.join(", ")} }`;
      }
      case Kind.DATASEC: {
        const props = t.vars.map((s) => {
          const v = this.#btf.type(s.type);
          const inner = v.kind === Kind.VAR ? v.type : s.type;
          const expr = this.value(
            inner,
            base,
            bitOffset + s.offset * 8,
            0,
            out,
            `${path}.${v.name}`,
            depth + 1,
          );
          return `${propertyKey(v.name)}: ${expr}`;
        });
        return `{ ${props.join(", ")} }`;
      }
      case Kind.VAR:
        return this.value(t.type, base, bitOffset, 0, out, path, depth + 1);
      default:
        throw new DecodeError(`${path}: BTF kind ${Kind[t.kind]} (type id ${t.id}) has no value`);
    }
  }

  /** An array: a string for `char[N]`, otherwise a loop filling a JS array. */
  array(
    elemId: number,
    count: number,
    p: string,
    out: string[],
    path: string,
    depth: number,
  ): string {
    // Like upstream, only arrays of plain `char` (not through a typedef) are text: `__u8[16]`
    // and `unsigned char[6]` hold addresses and hashes far more often than text.
    const elem = this.#btf.skipModifiers(elemId);
    if (isTextChar(elem)) {
      const reader = this.constant("S", cStringReader(count));
      return `${reader}(d, u, ${p})`;
    }
    const stride = this.#btf.sizeOf(elemId);
    const a = this.fresh("a");
    const i = this.fresh("i");
    const e = this.fresh("e");
    const body: string[] = [];
    const expr = this.value(elemId, e, 0, 0, body, `${path}[]`, depth + 1);
    out.push(
      `const ${a} = [];`,
      `for (let ${i} = 0; ${i} < ${count}; ${i}++) {`,
      `const ${e} = ${p} + ${i} * ${stride};`,
      ...body,
      `${a}.push(${expr});`,
      `}`,
    );
    return a;
  }

  /**
   * A bitfield of integer, bool or enum type. `bitSize` 0 means the width comes from the INT
   * encoding (BTF without kind_flag) or the type's full size. Widths up to 32 bits give a
   * number, wider ones a bigint, the same rule as for whole integers.
   */
  bitfield(
    id: number,
    base: string,
    bitOffset: number,
    bitSize: number,
    out: string[],
    path: string,
  ): string {
    const t = this.#btf.resolve(id);
    let post: BitfieldPost;
    let signed: boolean;
    let width = bitSize;
    let pos = bitOffset;
    if (t.kind === Kind.INT) {
      if (!bitSize) {
        width = t.bits;
        pos += t.offset;
      }
      post = isBoolInt(t) ? { kind: "bool" } : { kind: "int" };
      signed = t.signed;
    } else if (t.kind === Kind.ENUM || t.kind === Kind.ENUM64) {
      if (!bitSize) width = t.size * 8;
      post = { kind: "enum", type: t };
      signed = t.signed;
    } else {
      throw new DecodeError(
        `${path}: ${Kind[t.kind]} at bit offset ${bitOffset} is not byte-aligned`,
      );
    }
    if (width < 1) throw new DecodeError(`${path}: bitfield width ${width} is invalid`);

    const start = Math.floor(pos / 8);
    const shift = pos % 8;
    const span = Math.ceil((shift + width) / 8);
    const bigint = width > 32;
    let read: string;
    if (!bigint && shift + width <= 32) {
      const terms = [];
      for (let k = 0; k < span; k++) {
        const byte = `u[${at(base, start + k)}]`;
        terms.push(k === 0 ? byte : `${byte} << ${8 * k}`);
      }
      const raw = `(${terms.join(" | ")})`;
      if (signed) read = `(${raw} << ${32 - shift - width} >> ${32 - width})`;
      else if (width === 32) read = `(${raw} >>> 0)`;
      else read = `(${raw} >>> ${shift} & ${2 ** width - 1})`;
    } else {
      const helper = bigint ? "readBitsBigInt" : "readBitsNumber";
      read = `${helper}(u, ${at(base, start)}, ${span}, ${shift}, ${width}, ${signed})`;
    }
    if (post.kind === "int") return read;
    if (post.kind === "bool") return `(${read} != 0)`;
    const v = this.fresh("v");
    out.push(`const ${v} = ${read};`);
    return this.enumLookup(post.type, v, width, bigint);
  }

  /** `name ?? value` for the enum value in variable `v`, read as `bits` wide. */
  enumLookup(t: EnumType, v: string, bits: number, bigint: boolean): string {
    const names = new Map<number | bigint, string>();
    for (const e of t.values) {
      const key = enumKey(e.value, bits, t.signed, bigint);
      if (!names.has(key)) names.set(key, e.name); // the first of aliased enumerators wins
    }
    const keys = [...names.keys()];
    const dense = !bigint &&
      keys.every((k) => typeof k === "number" && k >= 0 && k < DENSE_ENUM_LIMIT);
    if (dense) {
      const table: (string | undefined)[] = [];
      for (const [k, name] of names) table[k as number] = name;
      const n = this.constant("E", Array.from(table));
      return `(${n}[${v}] ?? ${v})`;
    }
    const n = this.constant("E", names);
    return `(${n}.get(${v}) ?? ${v})`;
  }
}

/** An enumerator value normalised to what reading `bits` bits with that signedness gives. */
function enumKey(value: number | bigint, bits: number, signed: boolean, bigint: boolean) {
  if (bigint) {
    const v = BigInt(value);
    return signed ? BigInt.asIntN(bits, v) : BigInt.asUintN(bits, v);
  }
  const v = BigInt.asUintN(bits, BigInt(value));
  return Number(signed ? BigInt.asIntN(bits, v) : v);
}

/** Source text reading a `size`-byte integer at `p`. */
function intRead(size: number, signed: boolean, p: string, path: string): string {
  switch (size) {
    case 1:
      return signed ? `(u[${p}] << 24 >> 24)` : `u[${p}]`;
    case 2:
      return signed ? `d.getInt16(${p}, true)` : `d.getUint16(${p}, true)`;
    case 4:
      return signed ? `d.getInt32(${p}, true)` : `d.getUint32(${p}, true)`;
    case 8:
      return signed ? `d.getBigInt64(${p}, true)` : `d.getBigUint64(${p}, true)`;
    case 16:
      return signed ? `readI128(d, ${p})` : `readU128(d, ${p})`;
    default:
      throw new DecodeError(`${path}: ${size}-byte integers are not supported`);
  }
}
