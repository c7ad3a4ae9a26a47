/**
 * Encoder tests on hand-built BTF: kinds and encodings clang 14 does not emit (ENUM64, signed
 * enums, `_Float16`, INT-encoded bitfields), DATASECs, hostile member names and build errors.
 * @module
 */
import assert from "node:assert/strict";
import { BtfTypes } from "../../tests/support/btf_builder.ts";
import { type Btf, Kind } from "../btf/mod.ts";
import { buildDecoder } from "../decode/mod.ts";
import { readF16 } from "../decode/scalars.ts";
import { buildEncoder } from "./mod.ts";
import { f16Bits } from "./scalars.ts";

const SIGNED = 1, CHAR = 2, BOOL = 4;

/** Asserts `decode(encode(x))` deep-equals `x` for each value. */
function roundTrips(btf: Btf, id: number, values: unknown[]): void {
  const encode = buildEncoder(btf, id);
  const decode = buildDecoder(btf, id);
  for (const x of values) assert.deepEqual(decode(encode(x)), x);
}

Deno.test("_Float16: every pattern round-trips, rounding is to nearest even", () => {
  const view = new DataView(new ArrayBuffer(2));
  for (let h = 0; h < 0x10000; h++) {
    view.setUint16(0, h, true);
    const x = readF16(view, 0);
    if (Number.isNaN(x)) continue;
    assert.equal(f16Bits(x), h, `pattern ${h.toString(16)}`);
  }
  assert.equal(f16Bits(1 + 2 ** -11), 0x3c00); // halfway: to the even mantissa
  assert.equal(f16Bits(1 + 3 * 2 ** -11), 0x3c02);
  assert.equal(f16Bits(65519), 0x7bff);
  assert.equal(f16Bits(65520), 0x7c00);
  assert.equal(f16Bits(2 ** -25), 0); // halfway to the smallest subnormal
  assert.equal(f16Bits(2 ** -25 * 1.0001), 1);
  assert.equal(f16Bits(2 ** -14 - 2 ** -26), 0x0400); // rounds up into the normals
  assert.equal(f16Bits(NaN), 0x7e00);
  assert.equal(f16Bits(-0), 0x8000);
});

Deno.test("floats of every width; overflow of a finite value is refused", () => {
  const t = new BtfTypes(CHAR);
  const f16 = t.b.add("_Float16", Kind.FLOAT, 0, 2);
  const f32 = t.b.add("float", Kind.FLOAT, 0, 4);
  const f64 = t.b.add("double", Kind.FLOAT, 0, 8);
  const s = t.struct("fl", 16, [["h", f16, 0], ["f", f32, 32], ["d", f64, 64]]);
  const btf = t.build();
  roundTrips(btf, s, [
    { h: -1.5, f: 1.5, d: 0.1 },
    { h: 65504, f: -Infinity, d: NaN },
    { h: 2 ** -24, f: 2 ** -149, d: Number.MIN_VALUE },
    { h: -0, f: -0, d: -0 },
  ]);
  const encode = buildEncoder(btf, s);
  assert.deepEqual(
    encode({ h: 1, f: 2, d: 3 }),
    Uint8Array.of(0, 0x3c, 0, 0, 0, 0, 0, 0x40, 0, 0, 0, 0, 0, 0, 8, 0x40),
  );
  assert.throws(() => encode({ h: 70000 }), {
    name: "EncodeError",
    message: "value.h: 70000 is out of range for _Float16",
  });

  const t2 = new BtfTypes(CHAR);
  const ld = t2.b.add("long double", Kind.FLOAT, 0, 16);
  const bad = t2.struct("bad", 16, [["x", ld, 0]]);
  assert.throws(() => buildEncoder(t2.build(), bad), {
    name: "EncodeError",
    message: "struct bad.x: 16-byte float `long double` is not supported",
  });
});

Deno.test("ENUM64 and signed enums: names, numbers, ranges", () => {
  const t = new BtfTypes(CHAR);
  const u = t.enum64("flags64", [["LOW", 1n], ["HIGH", 2n ** 63n + 1n]]);
  const s = t.enum64("delta64", [["NEG", -2n], ["FAR", 2n ** 40n]], true);
  const sign = t.enum("sign", 4, [["NEG1", -1 >>> 0], ["POS", 1]], true);
  const st = t.struct("s", 20, [["u", u, 0], ["s", s, 64], ["sign", sign, 128]]);
  const btf = t.build();
  roundTrips(btf, st, [
    { u: "HIGH", s: "NEG", sign: "NEG1" },
    { u: "LOW", s: "FAR", sign: "POS" },
    { u: 2n ** 64n - 1n, s: -(2n ** 63n), sign: -2147483648 },
    { u: 0n, s: 2n ** 63n - 1n, sign: 2147483647 },
  ]);
  const encode = buildEncoder(btf, st);
  assert.deepEqual(encode({ u: 5, s: -3 }), encode({ u: 5n, s: -3n }));
  assert.throws(() => encode({ sign: 2147483648 }), {
    message: "value.sign: 2147483648 is out of range for enum sign (-2147483648..2147483647)",
  });
  assert.throws(() => encode({ u: -1 }), {
    message: "value.u: -1 is out of range for enum flags64 (0..18446744073709551615)",
  });

  const t2 = new BtfTypes(CHAR);
  const many = t2.enum("many", 4, Array.from({ length: 20 }, (_, i) => [`E${i}`, i]));
  const btf2 = t2.build();
  assert.throws(() => buildEncoder(btf2, many)("E20"), {
    message: 'value: "E20" is not an enumerator of enum many ' +
      "(known: E0, E1, E2, E3, E4, E5, E6, E7, E8, E9, E10, E11, E12, E13, E14, E15, and 4 more)",
  });
});

Deno.test("bitfields at odd offsets merge into shared bytes; INT-encoded widths too", () => {
  const t = new BtfTypes(CHAR);
  const bool = t.int("_Bool", 1, BOOL);
  const color = t.enum("color", 4, [["RED", 0], ["GREEN", 5], ["NEG", -1 >>> 0]], true);
  const s8 = t.int("signed char", 1, SIGNED);
  const s = t.struct("bits", 24, [
    ["a", t.u32, 1, 3],
    ["b", t.s32, 4, 5],
    ["c", t.u32, 9, 32],
    ["d", t.s32, 41, 1],
    ["e", t.u64, 42, 40],
    ["f", t.int("long long", 8, SIGNED), 82, 33],
    ["g", bool, 115, 1],
    ["h", color, 116, 4],
    ["i", s8, 120, 7],
    ["j", t.u32, 127, 17],
    ["k", t.u32, 160, 32],
  ]);
  const btf = t.build();
  roundTrips(btf, s, [
    {
      a: 5,
      b: -9,
      c: 0xdeadbeef,
      d: -1,
      e: 0xfedcba9876n,
      f: -(2n ** 32n),
      g: true,
      h: "GREEN",
      i: -64,
      j: 131071,
      k: 0xffffffff,
    },
    { a: 7, b: 15, c: 1, d: 0, e: 1n, f: 2n ** 32n - 1n, g: false, h: "NEG", i: 63, j: 0, k: 0 },
    { a: 0, b: -16, c: 0, d: 0, e: 2n ** 40n - 1n, f: 0n, g: false, h: -8, i: 0, j: 1, k: 7 },
  ]);
  // Neighbours keep their bits: one field set alone touches only its own bits.
  const encode = buildEncoder(btf, s);
  assert.deepEqual([...encode({ b: -1 }).subarray(0, 3)], [0xf0, 0x01, 0]);
  assert.deepEqual([...encode({ a: 7, b: -1 }).subarray(0, 3)], [0xfe, 0x01, 0]);
  assert.deepEqual([...encode({ j: 131071 }).subarray(15, 20)], [0x80, 0xff, 0xff, 0, 0]);

  // Old-style BTF: the width and offset live in the INT encoding (no kind_flag).
  const t2 = new BtfTypes(CHAR);
  const u4 = t2.int("unsigned int", 4, 0, 4);
  const s3 = t2.int("int", 4, SIGNED, 3, 2);
  const old = t2.struct("old", 4, [["x", u4, 3], ["y", s3, 8]]);
  const btf2 = t2.build();
  roundTrips(btf2, old, [{ x: 11, y: -3 }, { x: 15, y: 3 }, { x: 0, y: -4 }]);
  assert.throws(() => buildEncoder(btf2, old)({ y: 4 }), {
    message: "value.y: 4 is out of range for a 3-bit bitfield of int (-4..3)",
  });
});

Deno.test("BOOL-encoded ints, char arrays of any size, typed arrays and holes", () => {
  const t = new BtfTypes(CHAR);
  const b32 = t.int("bool32", 4, BOOL);
  const s = t.struct("s", 24, [
    ["flag", b32, 0],
    ["none", t.array(t.char, 0), 32],
    ["one", t.array(t.char, 1), 32],
    ["word", t.array(t.char, 3), 40],
    ["vals", t.array(t.u16, 4), 64],
    ["grid", t.array(t.array(t.u8, 2), 3), 128],
  ]);
  const btf = t.build();
  roundTrips(btf, s, [
    {
      flag: true,
      none: "",
      one: "",
      word: "é",
      vals: [1, 2, 3, 65535],
      grid: [[1, 2], [3, 4], [5, 6]],
    },
    {
      flag: false,
      none: "",
      one: "",
      word: "",
      vals: [0, 0, 0, 0],
      grid: [[0, 0], [0, 0], [0, 0]],
    },
  ]);
  const encode = buildEncoder(btf, s);
  const decode = buildDecoder(btf, s);
  assert.deepEqual(decode(encode({ vals: [1, , 3], grid: [[9]] })), {
    flag: false,
    none: "",
    one: "",
    word: "",
    vals: [1, 0, 3, 0],
    grid: [[9, 0], [0, 0], [0, 0]],
  });
  assert.deepEqual([...encode({ flag: true }).subarray(0, 4)], [1, 0, 0, 0]);
  assert.deepEqual(encode({ vals: Uint16Array.of(1, 2) }), encode({ vals: [1, 2] }));
  assert.throws(() => encode({ one: "x" }), {
    message: 'value.one: "x" is 1 byte in UTF-8; char[1] holds at most 0 and the NUL',
  });
  assert.throws(() => encode({ none: "x" }), {
    message: 'value.none: "x" is 1 byte in UTF-8; char[0] holds at most 0 and the NUL',
  });
  assert.throws(() => encode({ word: "a".repeat(50) }), {
    message: 'value.word: "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa…" is 50 bytes in UTF-8; ' +
      "char[3] holds at most 2 and the NUL",
  });
  assert.throws(() => encode({ flag: "true" }), {
    message: 'value.flag: expected a boolean for bool32, got string "true"',
  });
});

Deno.test("DATASEC, VAR, non-struct types and hostile member names", () => {
  const t = new BtfTypes(CHAR);
  const comm = t.array(t.char, 4);
  const v1 = t.b.add("hits", Kind.VAR, 0, t.u64, [1]);
  const v2 = t.b.add("name", Kind.VAR, 0, comm, [1]);
  const sec = t.b.add(".bss", Kind.DATASEC, 2, 16, [v1, 0, 8, v2, 8, 4]);
  const pair = t.struct("pair", 8, [["__proto__", t.u32, 0], ["constructor", t.u32, 32]]);
  const btf = t.build();
  roundTrips(btf, sec, [{ hits: 12n, name: "xy" }]);
  assert.throws(() => buildEncoder(btf, sec)({ hit: 1 }), {
    message: 'value: unknown member "hit" of section .bss (known: hits, name)',
  });
  roundTrips(btf, t.s32, [-2, 0, 2147483647]);
  roundTrips(btf, comm, ["ok", ""]);
  assert.deepEqual(buildEncoder(btf, t.u32)(0x01020304), Uint8Array.of(4, 3, 2, 1));

  const decoded = buildDecoder(btf, pair)(Uint8Array.of(1, 0, 0, 0, 2, 0, 0, 0));
  assert.deepEqual(buildEncoder(btf, pair)(decoded), Uint8Array.of(1, 0, 0, 0, 2, 0, 0, 0));
  assert.deepEqual(buildEncoder(btf, pair)({}), new Uint8Array(8));
  // Inherited properties are not members: only own keys count.
  assert.deepEqual(buildEncoder(btf, pair)(Object.create({ constructor: 5 })), new Uint8Array(8));
});

Deno.test("types without a value are refused when the encoder is built", () => {
  const t = new BtfTypes(CHAR);
  const fwd = t.b.add("opaque", Kind.FWD, 0, 0);
  const s = t.struct("s", 8, [["x", t.u32, 0], ["f", fwd, 32]]);
  assert.throws(() => buildEncoder(t.build(), s), {
    name: "EncodeError",
    message: /^struct s\.f: BTF kind FWD \(type id \d+\) has no value$/,
  });
  const t2 = new BtfTypes(CHAR);
  const odd = t2.int("u24", 3);
  const s2 = t2.struct("s2", 4, [["x", odd, 0]]);
  assert.throws(() => buildEncoder(t2.build(), s2), {
    name: "EncodeError",
    message: "struct s2.x: 3-byte integers are not supported",
  });
});
