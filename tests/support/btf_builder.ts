/**
 * Test support: builds raw BTF blobs by hand, for kinds clang 14 cannot emit (ENUM64) and for
 * malformed input.
 * @module
 */
import { type Btf, Kind, parseBtf } from "../../lib/btf/mod.ts";

/** Incrementally assembles the type and string sections of a BTF blob. */
export class BtfBuilder {
  #types: number[] = [];
  #strings: number[] = [0];
  #strOff = new Map<string, number>([["", 0]]);
  #count = 0;

  /** Adds `s` to the string section (deduplicated) and returns its offset. */
  str(s: string): number {
    const known = this.#strOff.get(s);
    if (known !== undefined) return known;
    const off = this.#strings.length;
    this.#strings.push(...new TextEncoder().encode(s), 0);
    this.#strOff.set(s, off);
    return off;
  }

  /** Appends a type record (header + extra u32 words) and returns its id. */
  add(
    name: string,
    kind: number,
    vlen: number,
    sizeOrType: number,
    extra: number[] = [],
    kflag = false,
  ): number {
    const info = ((kflag ? 1 : 0) << 31) | (kind << 24) | vlen;
    this.#types.push(this.str(name), info >>> 0, sizeOrType >>> 0, ...extra.map((x) => x >>> 0));
    return ++this.#count;
  }

  /** Serialises header + types + strings. */
  build(): Uint8Array {
    const typeLen = this.#types.length * 4;
    const buf = new Uint8Array(24 + typeLen + this.#strings.length);
    const v = new DataView(buf.buffer);
    v.setUint16(0, 0xeb9f, true);
    v.setUint8(2, 1);
    v.setUint32(4, 24, true);
    v.setUint32(8, 0, true);
    v.setUint32(12, typeLen, true);
    v.setUint32(16, typeLen, true);
    v.setUint32(20, this.#strings.length, true);
    this.#types.forEach((w, i) => v.setUint32(24 + i * 4, w, true));
    buf.set(this.#strings, 24 + typeLen);
    return buf;
  }
}

const SIGNED = 1;

/**
 * A `BtfBuilder` with shorthands for the kinds unit tests build by hand, and the usual integer
 * types already added (`u8` … `s64`, `char`, and the array index type).
 */
export class BtfTypes {
  b = new BtfBuilder();
  /** `charEncoding`: extra encoding bits of plain `char` (clang sets none; others set CHAR). */
  constructor(charEncoding = 0) {
    this.idx = this.int("__ARRAY_SIZE_TYPE__", 4);
    this.u8 = this.int("unsigned char", 1);
    this.s8 = this.int("signed char", 1, SIGNED);
    this.char = this.int("char", 1, SIGNED | charEncoding);
    this.u16 = this.int("unsigned short", 2);
    this.s16 = this.int("short", 2, SIGNED);
    this.u32 = this.int("unsigned int", 4);
    this.s32 = this.int("int", 4, SIGNED);
    this.u64 = this.int("unsigned long long", 8);
    this.s64 = this.int("long long", 8, SIGNED);
  }
  int(name: string, size: number, encoding = 0, bits = size * 8, offset = 0): number {
    return this.b.add(name, Kind.INT, 0, size, [(encoding << 24) | (offset << 16) | bits]);
  }
  array(elem: number, n: number): number {
    return this.b.add("", Kind.ARRAY, 0, 0, [elem, this.idx, n]);
  }
  /** Members are [name, type, bitOffset, bitSize?]; any bitSize switches on kind_flag. */
  struct(name: string, size: number, members: [string, number, number, number?][], union = false) {
    const kflag = members.some((m) => m[3] !== undefined);
    const words = members.flatMap(([n, t, off, bits = 0]) => [
      this.b.str(n),
      t,
      kflag ? (bits << 24) | off : off,
    ]);
    return this.b.add(name, union ? Kind.UNION : Kind.STRUCT, members.length, size, words, kflag);
  }
  enum(name: string, size: number, values: [string, number][], signed = false): number {
    const words = values.flatMap(([n, v]) => [this.b.str(n), v]);
    return this.b.add(name, Kind.ENUM, values.length, size, words, signed);
  }
  enum64(name: string, values: [string, bigint][], signed = false): number {
    const words = values.flatMap(([n, v]) => {
      const u = BigInt.asUintN(64, v);
      return [this.b.str(n), Number(u & 0xffffffffn), Number(u >> 32n)];
    });
    return this.b.add(name, Kind.ENUM64, values.length, 8, words, signed);
  }
  ref(kind: Kind, target: number, name = ""): number {
    return this.b.add(name, kind, 0, target);
  }
  readonly idx: number;
  readonly u8: number;
  readonly s8: number;
  readonly char: number;
  readonly u16: number;
  readonly s16: number;
  readonly u32: number;
  readonly s32: number;
  readonly u64: number;
  readonly s64: number;
  build(): Btf {
    return parseBtf(this.b.build());
  }
}
