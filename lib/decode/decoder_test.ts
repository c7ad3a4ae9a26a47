import assert from "node:assert/strict";
import { BtfTypes } from "../../tests/support/btf_builder.ts";
import { Kind } from "../btf/mod.ts";
import {
  buildDecoder,
  buildFieldsDecoder,
  buildRowDecoder,
  cStringReader,
  decodeCString,
  DecodeError,
  structFields,
} from "./mod.ts";

const SIGNED = 1, CHAR = 2, BOOL = 4;

/** A little-endian byte buffer written field by field. */
function bytes(size: number, fill: (v: DataView, b: Uint8Array) => void): Uint8Array {
  const b = new Uint8Array(size);
  fill(new DataView(b.buffer), b);
  return b;
}

/** Writes `value` into `width` bits at bit `pos` (little-endian bit numbering), bit by bit. */
function setBits(b: Uint8Array, pos: number, width: number, value: bigint) {
  const u = BigInt.asUintN(width, value);
  for (let i = 0; i < width; i++) {
    const bit = Number((u >> BigInt(i)) & 1n);
    const p = pos + i;
    b[p >> 3] = (b[p >> 3] & ~(1 << (p & 7))) | (bit << (p & 7));
  }
}

Deno.test("integers of every width decode at their extremes; 64/128-bit ones as exact bigints", () => {
  const t = new BtfTypes();
  const u128 = t.int("unsigned __int128", 16);
  const s128 = t.int("__int128", 16, SIGNED);
  const ints = t.struct("ints", 64, [
    ["u8v", t.u8, 0],
    ["i8v", t.s8, 8],
    ["u16v", t.u16, 16],
    ["i16v", t.s16, 32],
    ["u32v", t.u32, 64],
    ["i32v", t.s32, 96],
    ["u64v", t.u64, 128],
    ["i64v", t.s64, 192],
    ["u128v", u128, 256],
    ["i128v", s128, 384],
  ]);
  const decode = buildDecoder(t.build(), ints);

  const min = bytes(64, (v) => {
    v.setUint8(0, 255);
    v.setInt8(1, -128);
    v.setUint16(2, 65535, true);
    v.setInt16(4, -32768, true);
    v.setUint32(8, 4294967295, true);
    v.setInt32(12, -2147483648, true);
    v.setBigUint64(16, 2n ** 64n - 1n, true);
    v.setBigInt64(24, -(2n ** 63n), true);
    v.setBigUint64(32, 2n ** 64n - 1n, true);
    v.setBigUint64(40, 2n ** 64n - 1n, true);
    v.setBigUint64(56, 2n ** 63n, true); // i128 min: high word 0x8000…, low word 0
  });
  assert.deepEqual(decode(min), {
    u8v: 255,
    i8v: -128,
    u16v: 65535,
    i16v: -32768,
    u32v: 4294967295,
    i32v: -2147483648,
    u64v: 18446744073709551615n,
    i64v: -9223372036854775808n,
    u128v: 340282366920938463463374607431768211455n,
    i128v: -170141183460469231731687303715884105728n,
  });

  const max = bytes(64, (v) => {
    v.setInt8(1, 127);
    v.setInt16(4, 32767, true);
    v.setInt32(12, 2147483647, true);
    v.setBigUint64(16, 2n ** 53n + 1n, true);
    v.setBigInt64(24, 2n ** 63n - 1n, true);
    v.setBigUint64(32, 1n, true);
    v.setBigUint64(48, 2n ** 64n - 1n, true);
    v.setBigUint64(56, 2n ** 63n - 1n, true);
  });
  const r = decode(max) as Record<string, unknown>;
  assert.equal(r.i8v, 127);
  assert.equal(r.i16v, 32767);
  assert.equal(r.i32v, 2147483647);
  assert.equal(r.u64v, 9007199254740993n);
  assert.equal(r.i64v, 9223372036854775807n);
  assert.equal(r.u128v, 1n);
  assert.equal(r.i128v, 170141183460469231731687303715884105727n);
  assert.equal(r.u8v, 0);
});

Deno.test("a single char is a number; bool encodings and 1-byte _Bool are booleans", () => {
  const t = new BtfTypes();
  const bool = t.int("_Bool", 1, BOOL);
  const plainBool = t.int("_Bool", 1); // a producer that leaves the encoding out
  const wideBool = t.int("bool32", 4, BOOL);
  const s = t.struct("s", 8, [
    ["c", t.char, 0],
    ["b", bool, 8],
    ["p", plainBool, 16],
    ["w", wideBool, 32],
  ]);
  const decode = buildDecoder(t.build(), s);
  assert.deepEqual(decode(Uint8Array.of(0xff, 2, 0, 0, 0, 1, 0, 0)), {
    c: -1,
    b: true,
    p: false,
    w: true,
  });
  assert.deepEqual(decode(Uint8Array.of(65, 0, 1, 0, 0, 0, 0, 0)), {
    c: 65,
    b: false,
    p: true,
    w: false,
  });
});

Deno.test("char arrays: NUL-terminated, unterminated, invalid UTF-8, multi-byte, 2-D", () => {
  const t = new BtfTypes();
  const s8 = t.array(t.char, 8);
  const constChar = t.ref(Kind.CONST, t.char);
  const c4 = t.array(constChar, 4);
  const grid = t.array(t.array(t.char, 4), 2);
  const empty = t.array(t.char, 0);
  const uchar = t.int("u_char", 1, CHAR); // pahole marks char types with the CHAR encoding
  const s = t.struct("strs", 32, [
    ["a", s8, 0],
    ["b", c4, 64],
    ["grid", grid, 96],
    ["c", s8, 160],
    ["tail", empty, 224],
    ["u", t.array(uchar, 4), 224],
  ]);
  const decode = buildDecoder(t.build(), s);
  const buf = new Uint8Array(32);
  buf.set([0x6f, 0x6b], 28); // "ok"
  buf.set([0x68, 0x69, 0, 0x6a, 0x75, 0x6e, 0x6b, 0x21], 0); // "hi\0junk!"
  buf.set([0x61, 0x62, 0x63, 0x64], 8); // "abcd", no NUL
  buf.set([0x61, 0x62, 0, 0, 0x63, 0x64, 0x65, 0x66], 12); // ["ab", "cdef"]
  buf.set([0x61, 0xff, 0x62, 0xc3, 0xa9, 0, 0xfe, 0], 20); // "a", invalid, "b", "é"
  assert.deepEqual(decode(buf), {
    a: "hi",
    b: "abcd",
    grid: ["ab", "cdef"],
    c: "a\uFFFDb\u00e9",
    tail: "",
    u: "ok",
  });
  buf.set([0xe6, 0x97, 0xa5, 0xe6, 0x9c, 0xac, 0, 0], 0); // "日本"
  buf.set([0xe6, 0x97, 0xa5, 0xe6], 20); // truncated sequence after a valid one
  const r = decode(buf) as Record<string, unknown>;
  assert.equal(r.a, "日本");
  assert.equal(r.c, "日\uFFFD");
});

Deno.test("the per-field string cache never returns a stale string", () => {
  const t = new BtfTypes();
  const comm = t.array(t.char, 16);
  const odd = t.array(t.char, 7);
  const s = t.struct("s", 24, [["comm", comm, 0], ["odd", odd, 128]]);
  const decode = buildDecoder(t.build(), s) as (b: Uint8Array) => { comm: string; odd: string };
  const enc = new TextEncoder();
  const names = ["bash", "bash2", "systemd-journal", "kworker/0:1", "b", "", "0123456789abcdef"];
  for (let round = 0; round < 3; round++) {
    for (const [i, name] of names.entries()) {
      const buf = new Uint8Array(24);
      buf.set(enc.encode(name), 0);
      buf.set(enc.encode(name.slice(0, 7)), 16);
      // Bytes after the NUL differ between rounds: same text, different key.
      if (name.length < 15) buf[15] = round;
      const r = decode(buf);
      assert.equal(r.comm, name, `round ${round} name ${i}`);
      assert.equal(r.odd, name.slice(0, 7));
    }
  }
  // A long array (no cache) decodes the same way.
  const long = t.array(t.char, 200);
  const l = t.struct("l", 200, [["path", long, 0]]);
  const decodeLong = buildDecoder(t.build(), l);
  const buf = new Uint8Array(200);
  const path = "/usr/lib/x86_64-linux-gnu/libbpf.so.1.1.2";
  buf.set(enc.encode(path));
  assert.deepEqual(decodeLong(buf), { path });
  buf.fill(0x41);
  assert.deepEqual(decodeLong(buf), { path: "A".repeat(200) });
});

Deno.test("byte arrays (unsigned char, typedef'd __u8, signed char) stay arrays of numbers", () => {
  const t = new BtfTypes();
  const u8t = t.ref(Kind.TYPEDEF, t.u8, "__u8");
  const s = t.struct("s", 9, [
    ["mac", t.array(t.u8, 3), 0],
    ["addr", t.array(u8t, 4), 24],
    ["sc", t.array(t.s8, 2), 56],
  ]);
  const decode = buildDecoder(t.build(), s);
  assert.deepEqual(decode(Uint8Array.of(0xde, 0xad, 0, 127, 0, 0, 1, 0x80, 0x7f)), {
    mac: [222, 173, 0],
    addr: [127, 0, 0, 1],
    sc: [-128, 127],
  });
});

Deno.test("nested structs, anonymous unions/structs flattened, multi-dim arrays", () => {
  const t = new BtfTypes();
  const point = t.struct("point", 4, [["x", t.s16, 0], ["y", t.s16, 16]]);
  const halves = t.struct("", 4, [["lo", t.u16, 0], ["hi", t.u16, 16]]);
  const anonUnion = t.struct("", 4, [["raw", t.u32, 0], ["", halves, 0]], true);
  const grid = t.array(t.array(t.s32, 3), 2);
  const points = t.array(point, 2);
  const outer = t.struct("outer", 44, [
    ["id", t.u32, 0],
    ["", anonUnion, 32],
    ["p", point, 64],
    ["grid", grid, 96],
    ["pts", points, 288],
  ]);
  const btf = t.build();
  const buf = bytes(44, (v) => {
    v.setUint32(0, 7, true);
    v.setUint32(4, 0x00020001, true);
    v.setInt16(8, -3, true);
    v.setInt16(10, 4, true);
    for (let i = 0; i < 6; i++) v.setInt32(12 + 4 * i, i === 5 ? -1 : i * 10, true);
    v.setInt16(36, 1, true);
    v.setInt16(38, 2, true);
    v.setInt16(40, 3, true);
    v.setInt16(42, -4, true);
  });
  const expected = {
    id: 7,
    raw: 0x00020001,
    lo: 1,
    hi: 2,
    p: { x: -3, y: 4 },
    grid: [[0, 10, 20], [30, 40, -1]],
    pts: [{ x: 1, y: 2 }, { x: 3, y: -4 }],
  };
  const value = buildDecoder(btf, outer)(buf);
  assert.deepEqual(value, expected);
  assert.deepEqual(Object.keys(value as object), ["id", "raw", "lo", "hi", "p", "grid", "pts"]);

  assert.deepEqual(structFields(btf, outer).map((f) => [f.name, f.bitOffset]), [
    ["id", 0],
    ["raw", 32],
    ["lo", 32],
    ["hi", 48],
    ["p", 64],
    ["grid", 96],
    ["pts", 288],
  ]);
  assert.deepEqual(buildRowDecoder(btf, structFields(btf, outer))(buf), Object.values(expected));
});

Deno.test("enums decode to names, unknown values to numbers, with the enum's signedness", () => {
  const t = new BtfTypes();
  const color = t.enum("color", 4, [["RED", 0], ["GREEN", 5], ["ALL", 0xffffffff]]);
  const sign = t.enum("sign", 4, [["NEG", -1 >>> 0], ["POS", 1]], true);
  const packed = t.enum("packed", 1, [["P0", 0], ["P_MAX", 255]]);
  const sparse = t.enum("sparse", 4, [["SP_BIG", 100000], ["SP_ONE", 1]]);
  const s = t.struct("s", 16, [
    ["color", color, 0],
    ["sign", sign, 32],
    ["packed", packed, 64],
    ["sparse", sparse, 96],
  ]);
  const decode = buildDecoder(t.build(), s);
  const at = (c: number, sg: number, p: number, sp: number) =>
    decode(bytes(16, (v) => {
      v.setUint32(0, c >>> 0, true);
      v.setInt32(4, sg, true);
      v.setUint8(8, p);
      v.setUint32(12, sp, true);
    }));
  assert.deepEqual(at(5, -1, 255, 100000), {
    color: "GREEN",
    sign: "NEG",
    packed: "P_MAX",
    sparse: "SP_BIG",
  });
  assert.deepEqual(at(0xffffffff, 1, 0, 1), {
    color: "ALL",
    sign: "POS",
    packed: "P0",
    sparse: "SP_ONE",
  });
  assert.deepEqual(at(7, -2, 3, 2), { color: 7, sign: -2, packed: 3, sparse: 2 });
});

Deno.test("ENUM64 decodes to names or exact bigints", () => {
  const t = new BtfTypes();
  const u = t.enum64("flags64", [["LOW", 1n], ["HIGH", 2n ** 63n + 1n]]);
  const s = t.enum64("delta64", [["NEG", -2n], ["FAR", 2n ** 40n]], true);
  const st = t.struct("s", 16, [["u", u, 0], ["s", s, 64]]);
  const decode = buildDecoder(t.build(), st);
  const at = (a: bigint, b: bigint) =>
    decode(bytes(16, (v) => {
      v.setBigUint64(0, a, true);
      v.setBigInt64(8, b, true);
    }));
  assert.deepEqual(at(2n ** 63n + 1n, -2n), { u: "HIGH", s: "NEG" });
  assert.deepEqual(at(1n, 2n ** 40n), { u: "LOW", s: "FAR" });
  assert.deepEqual(at(2n ** 64n - 1n, -3n), { u: 18446744073709551615n, s: -3n });
});

Deno.test("float, double, _Float16 and pointers", () => {
  const t = new BtfTypes();
  const f32 = t.b.add("float", Kind.FLOAT, 0, 4);
  const f64 = t.b.add("double", Kind.FLOAT, 0, 8);
  const f16 = t.b.add("_Float16", Kind.FLOAT, 0, 2);
  const ptr = t.ref(Kind.PTR, t.char);
  const fnProto = t.b.add("", Kind.FUNC_PROTO, 0, 0);
  const fnPtr = t.ref(Kind.PTR, fnProto);
  const s = t.struct("s", 40, [
    ["f", f32, 0],
    ["h", f16, 32],
    ["d", f64, 64],
    ["p", ptr, 128],
    ["fn", fnPtr, 192],
    ["nan", f64, 256],
  ]);
  const decode = buildDecoder(t.build(), s);
  const r = decode(bytes(40, (v) => {
    v.setFloat32(0, 1.23, true);
    v.setUint16(4, 0xbe00, true); // -1.5 in binary16
    v.setFloat64(8, 4.56, true);
    v.setBigUint64(16, 0xffff888012345678n, true);
    v.setBigUint64(24, 0n, true);
    v.setFloat64(32, -Infinity, true);
  }));
  assert.deepEqual(r, {
    f: 1.2300000190734863,
    h: -1.5,
    d: 4.56,
    p: 0xffff888012345678n,
    fn: 0n,
    nan: -Infinity,
  });

  const t2 = new BtfTypes();
  const ld = t2.b.add("long double", Kind.FLOAT, 0, 16);
  const bad = t2.struct("bad", 16, [["x", ld, 0]]);
  assert.throws(() => buildDecoder(t2.build(), bad), {
    name: "DecodeError",
    message: "struct bad.x: 16-byte float `long double` is not supported",
  });
});

Deno.test("bitfields, signed and unsigned, at odd offsets and across byte boundaries", () => {
  const t = new BtfTypes();
  const bool = t.int("_Bool", 1, BOOL);
  const color = t.enum("color", 4, [["RED", 0], ["GREEN", 5]]);
  const s = t.struct("bits", 24, [
    ["a", t.u32, 1, 3],
    ["b", t.s32, 4, 5],
    ["c", t.u32, 9, 32], // five bytes wide: the slow number path
    ["d", t.s32, 41, 1],
    ["e", t.u64, 42, 40], // wider than 32 bits: a bigint
    ["f", t.s64, 82, 33],
    ["g", bool, 115, 1],
    ["h", color, 116, 4],
    ["i", t.s32, 120, 7],
    ["j", t.u32, 127, 17],
    ["k", t.u32, 160, 32],
    ["l", t.s16, 144, 16],
  ]);
  const decode = buildDecoder(t.build(), s);
  const fill = (vals: Record<string, bigint>) => {
    const b = new Uint8Array(24);
    const layout: Record<string, [number, number]> = {
      a: [1, 3],
      b: [4, 5],
      c: [9, 32],
      d: [41, 1],
      e: [42, 40],
      f: [82, 33],
      g: [115, 1],
      h: [116, 4],
      i: [120, 7],
      j: [127, 17],
      k: [160, 32],
      l: [144, 16],
    };
    for (const [name, v] of Object.entries(vals)) setBits(b, ...layout[name], v);
    return b;
  };
  assert.deepEqual(
    decode(fill({
      a: 5n,
      b: -9n,
      c: 0xdeadbeefn,
      d: -1n,
      e: 0xfedcba9876n,
      f: -(2n ** 32n),
      g: 1n,
      h: 5n,
      i: -64n,
      j: 131071n,
      k: 0xffffffffn,
      l: -32768n,
    })),
    {
      a: 5,
      b: -9,
      c: 0xdeadbeef,
      d: -1,
      e: 0xfedcba9876n,
      f: -4294967296n,
      g: true,
      h: "GREEN",
      i: -64,
      j: 131071,
      k: 4294967295,
      l: -32768,
    },
  );
  assert.deepEqual(
    decode(fill({ a: 7n, b: 15n, c: 1n, d: 0n, e: 1n, f: 2n ** 32n - 1n, h: 9n, i: 63n })),
    {
      a: 7,
      b: 15,
      c: 1,
      d: 0,
      e: 1n,
      f: 4294967295n,
      g: false,
      h: 9,
      i: 63,
      j: 0,
      k: 0,
      l: 0,
    },
  );
});

Deno.test("bitfields in BTF without kind_flag take their width from the INT encoding", () => {
  const t = new BtfTypes();
  const u4 = t.int("unsigned int", 4, 0, 4); // bits = 4
  const s3 = t.int("int", 4, SIGNED, 3, 2); // bits = 3, encoded offset 2
  const s = t.struct("old", 4, [["x", u4, 3], ["y", s3, 8]]);
  const b = new Uint8Array(4);
  setBits(b, 3, 4, 11n);
  setBits(b, 10, 3, -3n);
  assert.deepEqual(buildDecoder(t.build(), s)(b), { x: 11, y: -3 });
});

Deno.test("non-struct types decode to their value; VAR and DATASEC decode their variables", () => {
  const t = new BtfTypes();
  const comm = t.array(t.char, 4);
  const v1 = t.b.add("hits", Kind.VAR, 0, t.u64, [1]);
  const v2 = t.b.add("name", Kind.VAR, 0, comm, [1]);
  const sec = t.b.add(".bss", Kind.DATASEC, 2, 16, [v1, 0, 8, v2, 8, 4]);
  const btf = t.build();
  assert.equal(buildDecoder(btf, t.s32)(Uint8Array.of(0xfe, 0xff, 0xff, 0xff)), -2);
  assert.equal(buildDecoder(btf, comm)(Uint8Array.of(0x6f, 0x6b, 0, 0)), "ok");
  const buf = bytes(16, (v, b) => {
    v.setBigUint64(0, 12n, true);
    b.set([0x78, 0x79], 8);
  });
  assert.deepEqual(buildDecoder(btf, sec)(buf), { hits: 12n, name: "xy" });
  assert.deepEqual(structFields(btf, t.s32), [{ name: "", type: t.s32, bitOffset: 0, bitSize: 0 }]);
});

Deno.test("offsets, short buffers, reuse, custom field lists and hostile member names", () => {
  const t = new BtfTypes();
  const s = t.struct("pair", 8, [["__proto__", t.u32, 0], ["constructor", t.u32, 32]]);
  const btf = t.build();
  const decode = buildDecoder(btf, s);
  assert.equal(buildDecoder(btf, s), decode, "built once per type");
  const buf = bytes(12, (v) => {
    v.setUint32(4, 1, true);
    v.setUint32(8, 2, true);
  });
  const r = decode(buf, 4) as Record<string, unknown>;
  assert.equal(Object.getPrototypeOf(r), Object.prototype);
  assert.deepEqual(Object.entries(r), [["__proto__", 1], ["constructor", 2]]);
  assert.throws(() => decode(buf, 5), {
    name: "DecodeError",
    message: "struct pair: needs 8 bytes at offset 5, the buffer has 12",
  });
  assert.throws(() => decode(buf, -1), DecodeError);

  const custom = buildFieldsDecoder(btf, [
    { name: "second", type: t.u32, bitOffset: 32, bitSize: 0 },
    { name: "first", type: t.u32, bitOffset: 0, bitSize: 0 },
  ]);
  assert.deepEqual(Object.entries(custom(buf, 4) as object), [["second", 2], ["first", 1]]);
});

Deno.test("types without a value are refused when the decoder is built", () => {
  const t = new BtfTypes();
  const fwd = t.b.add("opaque", Kind.FWD, 0, 0);
  const s = t.struct("s", 8, [["x", t.u32, 0], ["f", fwd, 32]]);
  assert.throws(() => buildDecoder(t.build(), s), {
    name: "DecodeError",
    message: /^struct s\.f: BTF kind FWD \(type id \d+\) has no value$/,
  });
});

Deno.test("the view form (`at`) decodes what the bytes form does, and checks the length", () => {
  const t = new BtfTypes();
  const s = t.struct("ev", 24, [
    ["pid", t.u32, 0],
    ["ts", t.u64, 64],
    ["comm", t.array(t.char, 7), 128],
    ["ok", t.int("_Bool", 1, 4), 184],
  ]);
  const decode = buildDecoder(t.build(), s);
  const ring = new Uint8Array(64);
  const v = new DataView(ring.buffer);
  v.setUint32(8, 7, true);
  v.setBigUint64(16, 2n ** 64n - 1n, true);
  ring.set([0x61, 0xff, 0x62], 24); // invalid UTF-8: U+FFFD from both forms, every time
  ring[31] = 1;
  const view = new DataView(ring.buffer, 0, 48);
  for (let i = 0; i < 3; i++) {
    assert.deepEqual(decode.at(view, 8, 24), decode(ring.subarray(8, 32)));
    assert.deepEqual(decode.at(view, 8, 40), {
      pid: 7,
      ts: 2n ** 64n - 1n,
      comm: "a\uFFFDb",
      ok: true,
    });
  }
  assert.throws(() => decode.at(view, 8, 23), {
    name: "DecodeError",
    message: "struct ev: needs 24 bytes, the record has 23 (at offset 8 of a view of 48)",
  });
  assert.throws(() => decode.at(view, 32, 24), DecodeError); // past the end of the view
  assert.throws(() => decode.at(view, -1, 24), DecodeError);
});

Deno.test("cached char arrays of every length up to 64 match decodeCString", () => {
  let seed = 1;
  const rand = () => (seed = Math.imul(seed, 1103515245) + 12345 >>> 0) >>> 24;
  for (let n = 1; n <= 64; n++) {
    const read = cStringReader(n);
    const buf = new Uint8Array(n + 8);
    const view = new DataView(buf.buffer);
    for (let i = 0; i < 200; i++) {
      // Few distinct values (so the cache hits), some NULs, some bytes ≥ 0x80.
      for (let j = 0; j < buf.length; j++) buf[j] = [0, 0x41, 0x62, 0xc3, 0xa9, 0xff][rand() % 6];
      assert.equal(read(view, buf, 3), decodeCString(buf, 3, n), `length ${n}`);
    }
  }
});
