/**
 * Encoder against the compiler: structs compiled with clang (vmlinux.h types included) give the
 * BTF. `decode(encode(x))` must give `x` back for many values, extremes included; for one
 * struct a native program fills it in C and the encoder must produce exactly its bytes; every
 * message for a value that does not fit is checked word for word.
 * @module
 */
import assert from "node:assert/strict";
import { compileBpf, nativeStdout } from "../../tests/support/clang.ts";
import { type Btf, Kind, readBpfObject } from "../btf/mod.ts";
import { buildDecoder } from "../decode/mod.ts";
import { buildEncoder, EncodeError } from "./mod.ts";

const SOURCE = `
#include "vmlinux.h"
enum ecli_color { ECLI_RED, ECLI_GREEN = 5, ECLI_BLUE = 0xffffffff };
enum ecli_small { ECLI_S0, ECLI_S255 = 255 } __attribute__((packed));
struct ecli_bits {
  unsigned int a: 3;
  int b: 5;
  unsigned int c: 20;
  int d: 4;
  unsigned long long e: 40;
  long long f: 23;
  bool g: 1;
  enum ecli_color h: 4;
  unsigned int wide: 32;
  int one: 1;
};
struct ecli_rec {
  __u8 u8;
  __s8 s8;
  __u16 u16;
  __s16 s16;
  __u32 u32;
  __s32 s32;
  __u64 u64;
  __s64 s64;
  unsigned __int128 u128;
  __int128 s128;
  bool ok;
  char comm[16];
  unsigned char mac[6];
  __u32 slots[4];
  char names[2][8];
  int grid[2][3];
  enum ecli_color color;
  enum ecli_small small;
  float f;
  double d;
  const char *ptr;
  struct ecli_bits bits;
  struct { __u16 x; __s16 y; } points[2];
};
struct ecli_unions {
  __u32 id;
  union { __u32 as_u32; float as_f32; };
  union { __u64 raw; struct { __u32 lo; __u32 hi; }; } split;
  struct in6_addr addr;
  union { __u8 byte; struct { __u8 lo4: 4, hi4: 4; }; };
};
struct ecli_rec rec;
struct ecli_unions un;
`;

const { btf } = readBpfObject(compileBpf(SOURCE, [], { vmlinux: true }));

function typeId(b: Btf, name: string): number {
  const t = b.find(name, Kind.STRUCT);
  assert.ok(t, `struct ${name} in BTF`);
  return t.id;
}

const REC = typeId(btf, "ecli_rec");
const UNIONS = typeId(btf, "ecli_unions");
const encodeRec = buildEncoder(btf, REC);
const decodeRec = buildDecoder(btf, REC);

/** A value of every member at its minimum, maximum or another edge. */
const MIN = {
  u8: 0,
  s8: -128,
  u16: 0,
  s16: -32768,
  u32: 0,
  s32: -2147483648,
  u64: 0n,
  s64: -(2n ** 63n),
  u128: 0n,
  s128: -(2n ** 127n),
  ok: false,
  comm: "",
  mac: [0, 0, 0, 0, 0, 0],
  slots: [0, 0, 0, 0],
  names: ["", ""],
  grid: [[-2147483648, 0, 0], [0, 0, -1]],
  color: "ECLI_RED",
  small: "ECLI_S0",
  f: -3.4028234663852886e+38,
  d: -Number.MAX_VALUE,
  ptr: 0n,
  bits: {
    a: 0,
    b: -16,
    c: 0,
    d: -8,
    e: 0n,
    f: -4194304,
    g: false,
    h: "ECLI_RED",
    wide: 0,
    one: -1,
  },
  points: [{ x: 0, y: -32768 }, { x: 0, y: 0 }],
};

const MAX = {
  u8: 255,
  s8: 127,
  u16: 65535,
  s16: 32767,
  u32: 4294967295,
  s32: 2147483647,
  u64: 2n ** 64n - 1n,
  s64: 2n ** 63n - 1n,
  u128: 2n ** 128n - 1n,
  s128: 2n ** 127n - 1n,
  ok: true,
  comm: "fifteen-chars-x",
  mac: [255, 255, 255, 255, 255, 255],
  slots: [4294967295, 4294967295, 4294967295, 4294967295],
  names: ["seven-c", "ünï"],
  grid: [[2147483647, 1, 2], [3, 4, 2147483647]],
  color: "ECLI_BLUE",
  small: "ECLI_S255",
  f: 3.4028234663852886e+38,
  d: Number.MAX_VALUE,
  ptr: 2n ** 64n - 1n,
  bits: {
    a: 7,
    b: 15,
    c: 0xfffff,
    d: 7,
    e: 2n ** 40n - 1n,
    f: 4194303,
    g: true,
    h: "ECLI_BLUE",
    wide: 4294967295,
    one: 0,
  },
  points: [{ x: 65535, y: 32767 }, { x: 1, y: -1 }],
};

const ODD = {
  ...MIN,
  u32: 123456789,
  u64: 9007199254740993n, // not a safe integer: exact only as a bigint
  s64: -9007199254740993n,
  comm: "ecli-тест", // 13 bytes of UTF-8
  color: 7, // no enumerator: a number
  small: 3,
  f: 1.5,
  d: -0.1,
  ptr: 0xffff888012345678n,
  bits: { ...MAX.bits, h: 9, g: false, b: -1, f: -1 },
  f32: undefined,
};

Deno.test("encode/decode round trip: extremes of every member type", () => {
  const { f32: _, ...odd } = ODD;
  for (const x of [MIN, MAX, odd]) {
    const bytes = encodeRec(x);
    assert.equal(bytes.length, btf.sizeOf(REC));
    assert.deepEqual(decodeRec(bytes), x);
  }
});

/** xorshift32: a repeatable stream of pseudo-random 32-bit words. */
function prng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>>= 0);
  };
}

Deno.test("encode/decode round trip: decoded random bytes encode back to the same value", () => {
  const rec = btf.composite(REC);
  const at = (name: string) => rec.members.find((m) => m.name === name)!.bitOffset / 8;
  const next = prng(0xec11);
  const size = btf.sizeOf(REC);
  for (let round = 0; round < 500; round++) {
    const raw = new Uint8Array(size).map(() => next() & 0xff);
    // Text fields hold C strings: printable ASCII and a NUL somewhere.
    const text = (start: number, length: number) => {
      const n = next() % length;
      for (let i = 0; i < length; i++) raw[start + i] = i < n ? 0x20 + (next() % 95) : 0;
    };
    text(at("comm"), 16);
    text(at("names"), 8);
    text(at("names") + 8, 8);
    const x = decodeRec(raw);
    const again = decodeRec(encodeRec(x));
    assert.deepEqual(again, x, `round ${round}`);
    // Integers given as bigints or numbers encode the same.
    assert.deepEqual(encodeRec(x), encodeRec(again));
  }
});

Deno.test("ints of every width take numbers or bigints alike", () => {
  const asBigints = { u8: 1n, s8: -1n, u16: 2n, s16: -2n, u32: 3n, s32: -3n, u64: 4, s64: -4 };
  const asNumbers = { u8: 1, s8: -1, u16: 2, s16: -2, u32: 3, s32: -3, u64: 4n, s64: -4n };
  assert.deepEqual(encodeRec(asBigints), encodeRec(asNumbers));
  assert.deepEqual(
    encodeRec({ u128: 2 ** 70, s128: -(2 ** 70) }),
    encodeRec({ u128: 2n ** 70n, s128: -(2n ** 70n) }),
  );
  assert.deepEqual(
    encodeRec({ mac: Uint8Array.of(1, 2), slots: Uint32Array.of(7) }),
    encodeRec({ mac: [1, 2], slots: [7] }),
  );
  assert.deepEqual(
    encodeRec({ comm: new TextEncoder().encode("raw") }),
    encodeRec({ comm: "raw" }),
  );
  assert.deepEqual(
    encodeRec({ ok: 1, bits: { g: 1n } }),
    encodeRec({ ok: true, bits: { g: true } }),
  );
});

Deno.test("unions: one alternative written, the others read back from the same bytes", () => {
  const encode = buildEncoder(btf, UNIONS);
  const decode = buildDecoder(btf, UNIONS);
  const v = decode(encode({
    id: 1,
    as_f32: 1,
    split: { lo: 1, hi: 2 },
    addr: { in6_u: { u6_addr32: [0, 0, 0xffff0000, 0x0100007f] } },
    lo4: 0xa,
    hi4: 0x5,
  })) as Record<string, unknown>;
  assert.equal(v.as_u32, 0x3f800000);
  assert.equal(v.as_f32, 1);
  assert.deepEqual(v.split, { raw: 0x200000001n, lo: 1, hi: 2 });
  const in6 = (v.addr as { in6_u: Record<string, unknown> }).in6_u;
  assert.deepEqual(in6.u6_addr8, [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0x7f, 0, 0, 1]);
  assert.equal(v.byte, 0x5a);
  // Missing members stay zero; an empty object is all zeros.
  assert.deepEqual(encode({}), new Uint8Array(btf.sizeOf(UNIONS)));
  assert.deepEqual(
    (decode(encode({ as_u32: 0x40490fdb })) as { as_f32: number }).as_f32,
    Math.fround(Math.PI),
  );
});

/** The struct of the exact-bytes test: compiled for BPF (BTF) and natively (the bytes). */
const NATIVE_TYPES = `
enum mode { M_OFF, M_ON = 3, M_MAX = 255 };
struct flags { unsigned int lo: 3; int mid: 6; unsigned long long wide: 41; _Bool on: 1; enum mode m: 2; };
struct sample {
  unsigned short port;
  signed char delta;
  _Bool ok;
  unsigned int ids[3];
  char comm[12];
  struct flags fl;
  union { unsigned int word; unsigned char bytes[4]; };
  long long big;
  double ratio;
  enum mode mode;
  unsigned __int128 huge;
  unsigned long ptr;
};
`;

const NATIVE_FILL = `
#include <stdio.h>
#include <string.h>
${NATIVE_TYPES}
int main(void) {
  struct sample s;
  memset(&s, 0, sizeof s);
  s.port = 8080;
  s.delta = -7;
  s.ok = 1;
  s.ids[0] = 1; s.ids[1] = 4000000000u;
  strcpy(s.comm, "näive");
  s.fl.lo = 6; s.fl.mid = -32; s.fl.wide = 0x1ffffffffffull; s.fl.on = 1; s.fl.m = M_ON;
  s.word = 0xdeadbeef;
  s.big = -5000000000LL;
  s.ratio = 0.125;
  s.mode = M_MAX;
  s.huge = ((unsigned __int128)3 << 96) | 42;
  s.ptr = 0xffffffff81000000ul;
  fwrite(&s, sizeof s, 1, stdout);
  return 0;
}
`;

Deno.test("encoding gives exactly the bytes C stores, layout from clang's BTF", () => {
  const { btf: b } = readBpfObject(compileBpf(`${NATIVE_TYPES}\nstruct sample s;\n`));
  const id = typeId(b, "sample");
  const native = nativeStdout(NATIVE_FILL);
  assert.equal(native.length, b.sizeOf(id));
  const bytes = buildEncoder(b, id)({
    port: 8080,
    delta: -7,
    ok: true,
    ids: [1, 4000000000],
    comm: "näive",
    fl: { lo: 6, mid: -32, wide: 0x1ffffffffffn, on: true, m: "M_ON" },
    word: 0xdeadbeef,
    big: -5000000000n,
    ratio: 0.125,
    mode: "M_MAX",
    huge: (3n << 96n) | 42n,
    ptr: 0xffffffff81000000n,
  });
  assert.deepEqual(bytes, native);
  // Through the union's other alternative, and into a larger buffer at an offset.
  const into = new Uint8Array(native.length + 8).fill(0xee);
  const value = buildDecoder(b, id)(native) as Record<string, unknown>;
  delete value.word;
  buildEncoder(b, id)(value, into, 4);
  assert.deepEqual(into.subarray(4, 4 + native.length), native);
  assert.deepEqual(
    [...into.subarray(0, 4), ...into.subarray(4 + native.length)],
    Array(8).fill(0xee),
  );
});

Deno.test("every message for a value that does not fit", () => {
  const cases: [unknown, string][] = [
    [
      { slots: [0, 1, 2, 4294967296] },
      "value.slots[3]: 4294967296 is out of range for __u32 (0..4294967295)",
    ],
    [{ s8: -129 }, "value.s8: -129 is out of range for __s8 (-128..127)"],
    [{ u64: -1n }, "value.u64: -1 is out of range for __u64 (0..18446744073709551615)"],
    [
      { u64: 2n ** 64n },
      "value.u64: 18446744073709551616 is out of range for __u64 (0..18446744073709551615)",
    ],
    [
      { s128: 2n ** 127n },
      "value.s128: 170141183460469231731687303715884105728 is out of range for __int128 " +
      "(-170141183460469231731687303715884105728..170141183460469231731687303715884105727)",
    ],
    [{ u32: 1.5 }, "value.u32: 1.5 is not an integer (__u32)"],
    [{ u64: NaN }, "value.u64: NaN is not an integer (__u64)"],
    [{ s32: Infinity }, "value.s32: Infinity is not an integer (__s32)"],
    [{ u32: "12" }, 'value.u32: expected a number or bigint for __u32, got string "12"'],
    [{ u16: null }, "value.u16: expected a number or bigint for __u16, got null"],
    [{ ok: "yes" }, 'value.ok: expected a boolean for bool, got string "yes"'],
    [{ ok: 2 }, "value.ok: expected a boolean for bool, got number 2"],
    [
      { comm: "x".repeat(16) },
      'value.comm: "xxxxxxxxxxxxxxxx" is 16 bytes in UTF-8; char[16] holds at most 15 and the NUL',
    ],
    [
      { comm: "é".repeat(8) },
      'value.comm: "éééééééé" is 16 bytes in UTF-8; char[16] holds at most 15 and the NUL',
    ],
    [
      { comm: "a\0b" },
      'value.comm: "a\\u0000b" contains a NUL character; char[16] holds a C string',
    ],
    [{ comm: 5 }, "value.comm: expected a string for char[16], got number 5"],
    [
      { comm: new Uint8Array(17) },
      "value.comm: a Uint8Array of 17 bytes does not fit char[16]",
    ],
    [
      { mac: [1, 2, 3, 4, 5, 6, 7] },
      "value.mac: 7 elements given; unsigned char[6] holds 6",
    ],
    [{ mac: [0, 256] }, "value.mac[1]: 256 is out of range for unsigned char (0..255)"],
    [{ mac: "abc" }, 'value.mac: expected an array for unsigned char[6], got string "abc"'],
    [
      { names: ["ok", "toolongname"] },
      'value.names[1]: "toolongname" is 11 bytes in UTF-8; char[8] holds at most 7 and the NUL',
    ],
    [{ grid: [[1], [2, 3, 4, 5]] }, "value.grid[1]: 4 elements given; int[3] holds 3"],
    [{ grid: [[1, 2, 1.25]] }, "value.grid[0][2]: 1.25 is not an integer (int)"],
    [
      { color: "PINK" },
      'value.color: "PINK" is not an enumerator of enum ecli_color ' +
      "(known: ECLI_RED, ECLI_GREEN, ECLI_BLUE)",
    ],
    [
      { color: true },
      "value.color: expected an enumerator name or a number for enum ecli_color, got boolean true",
    ],
    [{ color: -1 }, "value.color: -1 is out of range for enum ecli_color (0..4294967295)"],
    [{ small: 256 }, "value.small: 256 is out of range for enum ecli_small (0..255)"],
    [{ f: 1e39 }, "value.f: 1e+39 is out of range for float"],
    [{ d: 1n }, "value.d: expected a number for double, got bigint 1"],
    [
      { ptr: -1 },
      "value.ptr: -1 is out of range for char * (0..18446744073709551615)",
    ],
    [
      { bits: { a: 8 } },
      "value.bits.a: 8 is out of range for a 3-bit bitfield of unsigned int (0..7)",
    ],
    [
      { bits: { b: -17 } },
      "value.bits.b: -17 is out of range for a 5-bit bitfield of int (-16..15)",
    ],
    [
      { bits: { e: 2n ** 40n } },
      "value.bits.e: 1099511627776 is out of range for a 40-bit bitfield of unsigned long long " +
      "(0..1099511627775)",
    ],
    [{ bits: { one: 1 } }, "value.bits.one: 1 is out of range for a 1-bit bitfield of int (-1..0)"],
    [
      { bits: { h: "PINK" } },
      'value.bits.h: "PINK" is not an enumerator of a 4-bit bitfield of enum ecli_color ' +
      "(known: ECLI_RED, ECLI_GREEN, ECLI_BLUE)",
    ],
    [
      { bits: { h: 16 } },
      "value.bits.h: 16 is out of range for a 4-bit bitfield of enum ecli_color (0..15)",
    ],
    [
      { bits: { g: 2 } },
      "value.bits.g: expected a boolean for a 1-bit bitfield of bool, got number 2",
    ],
    [{ bits: [] }, "value.bits: expected an object for struct ecli_bits, got an array"],
    [
      { pid: 1 },
      'value: unknown member "pid" of struct ecli_rec (known: u8, s8, u16, s16, u32, s32, u64, ' +
      "s64, u128, s128, ok, comm, mac, slots, names, grid, color, small, f, d, ptr, bits, points)",
    ],
    [
      { points: [{ x: 1, z: 2 }] },
      'value.points[0]: unknown member "z" of struct {...} (known: x, y)',
    ],
    [5, "value: expected an object for struct ecli_rec, got number 5"],
    [null, "value: expected an object for struct ecli_rec, got null"],
    [undefined, "value: expected an object for struct ecli_rec, got undefined"],
    [new Map([["u8", 1]]), "value: expected an object for struct ecli_rec, got a Map"],
  ];
  for (const [value, message] of cases) {
    assert.throws(() => encodeRec(value), { name: "EncodeError", message }, message);
  }

  const encodeUnions = buildEncoder(btf, UNIONS, "key");
  const unionCases: [unknown, string][] = [
    [
      { as_u32: 1, as_f32: 2 },
      'key: members "as_u32" and "as_f32" of the anonymous union in struct ecli_unions ' +
      "both given; give at most one",
    ],
    [
      { split: { raw: 1n, lo: 2 } },
      'key.split: members "raw" and "lo" of union {...} both given; give at most one',
    ],
    [
      { addr: { in6_u: { u6_addr8: [1], u6_addr32: [1] } } },
      'key.addr.in6_u: members "u6_addr8" and "u6_addr32" of union {...} both given; ' +
      "give at most one",
    ],
    [
      { byte: 1, hi4: 2 },
      'key: members "byte" and "hi4" of the anonymous union in struct ecli_unions both given; ' +
      "give at most one",
    ],
    [
      { lo4: 16 },
      "key.lo4: 16 is out of range for a 4-bit bitfield of __u8 (0..15)",
    ],
  ];
  for (const [value, message] of unionCases) {
    assert.throws(() => encodeUnions(value), { name: "EncodeError", message }, message);
  }
  // Both halves of one anonymous struct inside a union are one alternative.
  encodeUnions({ lo4: 1, hi4: 2, split: { lo: 1, hi: 2 } });

  assert.throws(() => encodeRec({}, new Uint8Array(8), 4), {
    name: "EncodeError",
    message: `value: needs ${btf.sizeOf(REC)} bytes at offset 4, the buffer has 8`,
  });
  assert.ok(new EncodeError("x") instanceof Error);
});
