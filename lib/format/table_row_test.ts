import assert from "node:assert/strict";
import { type Btf, Kind, readBpfObject } from "../btf/mod.ts";
import { compileBpf, nativeStdout } from "../../tests/support/clang.ts";
import { FILL, TYPES } from "../../tests/support/event_types.ts";
import { buildRowDecoder, type StructField, structFields } from "../decode/mod.ts";
import { buildTableRowEncoder, formatTableHeader, formatTableRow } from "./mod.ts";

const SCALARS = `
typedef unsigned long long __u64;
typedef int pid_t;
struct scalars {
  unsigned char u8;
  signed char s8;
  char c;
  _Bool ok;
  unsigned short u16;
  short s16;
  unsigned int u32;
  int s32;
  __u64 u64;
  long long s64;
  pid_t pid;
  char comm[16];
  char one[1];
  const char *ptr;
  union { unsigned long long raw; int lo; };
  char name[7];
};
struct scalars s_;
`;
const { btf } = readBpfObject(compileBpf(`${SCALARS}\n${TYPES}\nstruct event ev;\n`));
const utf8 = new TextEncoder();
/** A clock stopped at 16:58:31 local time. */
const clock = () => new Date(2024, 0, 2, 16, 58, 31).getTime();

/** The string path's line and the encoder's bytes for `fields` of one record. */
function both(fields: readonly StructField[], rec: Uint8Array, now = clock) {
  const { columns } = formatTableHeader(fields.map((f) => f.name));
  const enc = buildTableRowEncoder(btf, fields, columns, now);
  assert.ok(enc, "an all-scalar layout gets a byte encoder");
  const dst = new Uint8Array(enc.maxBytes + 8);
  dst.fill(0xaa);
  const end = enc(rec, dst, 3);
  assert.ok(end - 3 <= enc.maxBytes, `${end - 3} bytes, at most ${enc.maxBytes}`);
  return {
    want: utf8.encode(formatTableRow(columns, buildRowDecoder(btf, fields)(rec), now) + "\n"),
    got: dst.subarray(3, end),
  };
}

function assertSameRow(fields: readonly StructField[], rec: Uint8Array, now = clock) {
  const { want, got } = both(fields, rec, now);
  if (!bytesEqual(want, got)) {
    assert.equal(new TextDecoder().decode(got), new TextDecoder().decode(want));
    assert.deepEqual(got, want);
  }
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function scalars(b: Btf = btf) {
  const id = b.find("scalars", Kind.STRUCT)!.id;
  const fields = structFields(b, id);
  const at = (name: string) => fields.find((f) => f.name === name)!.bitOffset / 8;
  return { fields, size: b.sizeOf(id), at };
}

Deno.test("table row encoder: every integer width at its min and max, 64-bit past 2^53", () => {
  const { fields, size, at } = scalars();
  const rec = new Uint8Array(size);
  const v = new DataView(rec.buffer);
  const set = (values: Record<string, number | bigint>) => {
    rec.fill(0);
    for (const [name, x] of Object.entries(values)) {
      const o = at(name);
      const w = { u8: 1, s8: 1, c: 1, ok: 1, u16: 2, s16: 2, u32: 4, s32: 4, pid: 4 }[name] ?? 8;
      if (w === 8) v.setBigUint64(o, BigInt.asUintN(64, BigInt(x)), true);
      else {for (let k = 0; k < w; k++) {
          rec[o + k] = Number(BigInt.asUintN(w * 8, BigInt(x)) >> BigInt(8 * k) & 0xffn);
        }}
    }
    assertSameRow(fields, rec);
  };
  set({ u8: 255, s8: -128, c: -128, ok: 1, u16: 65535, s16: -32768, u32: 4294967295 });
  set({ s32: -2147483648, u64: 2n ** 64n - 1n, s64: -(2n ** 63n), pid: -1, ptr: 2n ** 64n - 1n });
  set({ s8: 127, c: 127, s16: 32767, s32: 2147483647, s64: 2n ** 63n - 1n, raw: 2n ** 63n });
  for (const x of [2n ** 53n - 1n, 2n ** 53n, 2n ** 53n + 1n, 10n ** 19n, 12345678901234567890n]) {
    set({ u64: x, s64: -x, ptr: x, raw: x });
  }
  set({}); // all zeros, empty strings
  // The exact text for one of them, so a shared mistake in both paths cannot hide.
  rec.fill(0);
  v.setBigUint64(at("u64"), 2n ** 53n + 1n, true);
  v.setBigInt64(at("s64"), -(2n ** 63n), true);
  v.setInt32(at("pid"), 42, true);
  rec.set(utf8.encode("bash"), at("comm"));
  const { columns } = formatTableHeader(fields.map((f) => f.name));
  const enc = buildTableRowEncoder(btf, fields, columns, clock)!;
  const dst = new Uint8Array(enc.maxBytes);
  assert.equal(
    new TextDecoder().decode(dst.subarray(0, enc(rec, dst, 0))),
    "16:58:31  0     0      0      false  0      0      0      0      9007199254740993 " +
      "-9223372036854775808 42 bash  0 0 0    \n",
  );
});

Deno.test("table row encoder: char arrays full, empty, non-ASCII, invalid and control bytes", () => {
  const { fields, size, at } = scalars();
  const rec = new Uint8Array(size);
  const texts: (string | number[])[] = [
    "",
    "x",
    "exactly16bytes!!", // no NUL: the whole array
    "systemd-journal",
    "é", // 2 bytes, 1 UTF-16 unit: later columns count units, as formatTableRow does
    "日本語のコマンド",
    "😀x", // 4 bytes, 2 units
    "\x01\t\x1b[31m\x7f",
    [0xff, 0xfe, 0x41], // invalid UTF-8: U+FFFD each
    [0xe6, 0x97], // truncated sequence
    [0x61, 0, 0xff, 0xff], // junk after the NUL is not printed
  ];
  for (const [i, t] of texts.entries()) {
    for (const [field, len] of [["comm", 16], ["one", 1], ["name", 7]] as const) {
      rec.fill(0);
      const b = typeof t === "string" ? utf8.encode(t) : Uint8Array.from(t);
      rec.set(b.subarray(0, len), at(field));
      // Keep the other text fields busy with other texts.
      const other = utf8.encode(String(texts[(i + 4) % texts.length]));
      if (field !== "comm") rec.set(other.subarray(0, 16), at("comm"));
      rec[at("u16")] = i;
      assertSameRow(fields, rec);
    }
  }
  // Every byte value at every position of the 7-byte array, between two short numbers.
  let seed = 3;
  const rnd = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 24;
  for (let i = 0; i < 3000; i++) {
    rec.fill(0);
    for (let k = 0; k < 7; k++) {
      rec[at("name") + k] = [0, 0x41, 0x09, 0xc3, 0xa9, 0xff, 0xf0][rnd() % 7];
    }
    for (let k = 0; k < 16; k++) rec[at("comm") + k] = rnd() % 3 ? 0x61 + (rnd() % 26) : rnd();
    rec[at("u8")] = rnd();
    assertSameRow(fields, rec);
  }
});

Deno.test("table row encoder: random records, the view form, and short records refused", () => {
  const { fields, size } = scalars();
  const { columns } = formatTableHeader(fields.map((f) => f.name));
  const enc = buildTableRowEncoder(btf, fields, columns, clock)!;
  const ring = new Uint8Array(8 + 4 * (size + 3));
  const view = new DataView(ring.buffer, 8);
  let seed = 11;
  const rnd = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 24;
  const a = new Uint8Array(enc.maxBytes);
  const b = new Uint8Array(enc.maxBytes);
  for (let round = 0; round < 1000; round++) {
    for (let i = 0; i < ring.length; i++) ring[i] = rnd() % 4 ? rnd() & 0x7f : rnd();
    for (let k = 0; k < 4; k++) {
      const offset = k * (size + 3) + 1;
      const bytes = new Uint8Array(ring.buffer, 8 + offset, size);
      assertSameRow(fields, bytes);
      const n = enc(bytes, a, 0);
      assert.equal(enc.at(view, offset, size, b, 0), n);
      assert.ok(bytesEqual(a.subarray(0, n), b.subarray(0, n)));
    }
  }
  // The fields end at the last byte of `name`, before the struct's tail padding.
  const span = fields.at(-1)!.bitOffset / 8 + 7;
  assert.throws(() => enc(new Uint8Array(span - 1), a, 0), {
    name: "RangeError",
    message: `record of ${span - 1} bytes, the type needs ${span}`,
  });
  assertSameRow(fields, new Uint8Array(span)); // exactly the fields' bytes are enough
  assert.throws(() => enc.at(view, 0, span - 1, b, 0), /record of \d+ bytes, the type needs/);
  assert.throws(() => enc.at(view, view.byteLength - span + 1, span, b, 0), RangeError);
});

Deno.test("table row encoder: values wider than their column get one space", () => {
  const fields = scalars().fields.filter((f) => ["u8", "u64", "s8", "comm", "ok"].includes(f.name));
  const { size, at } = scalars();
  const rec = new Uint8Array(size);
  const v = new DataView(rec.buffer);
  v.setBigUint64(at("u64"), 18446744073709551615n, true);
  rec[at("u8")] = 200;
  rec[at("s8")] = 0x80;
  rec.set(utf8.encode("exactly16bytes!!"), at("comm"));
  const { want, got } = both(fields, rec);
  assert.deepEqual(got, want);
  assert.equal(
    new TextDecoder().decode(got),
    "16:58:31  200   -128   false  18446744073709551615 exactly16bytes!!\n",
  );
});

Deno.test("table row encoder: the time comes from the clock, re-encoded when the second changes", () => {
  const { fields, size } = scalars();
  const rec = new Uint8Array(size);
  let now = new Date(2024, 5, 1, 23, 59, 58, 900).getTime();
  const { columns } = formatTableHeader(fields.map((f) => f.name));
  const enc = buildTableRowEncoder(btf, fields, columns, () => now)!;
  const dst = new Uint8Array(enc.maxBytes);
  const time = () => new TextDecoder().decode(dst.subarray(0, enc(rec, dst, 0))).slice(0, 9);
  assert.equal(time(), "23:59:58 ");
  now += 50;
  assert.equal(time(), "23:59:58 ");
  now += 100;
  assert.equal(time(), "23:59:59 ");
  now += 1000;
  assert.equal(time(), "00:00:00 ");
  assertSameRow(fields, rec, () => now);
});

Deno.test("table row encoder: the decoder cross-check's types, encoded or left to the string path", () => {
  const event = btf.find("event", Kind.STRUCT)!;
  const raw = nativeStdout(FILL);
  const all = structFields(btf, event.id);
  const { columns } = formatTableHeader(all.map((f) => f.name));
  // Enums, floats, nested structs, non-char arrays, 2-D char arrays, bitfields and __int128
  // have no byte encoder: a layout with any of them keeps formatTableRow.
  assert.equal(buildTableRowEncoder(btf, all, columns), undefined);
  const encoded = all.filter((f) => buildTableRowEncoder(btf, [f], [9]));
  assert.deepEqual(encoded.map((f) => f.name), ["pid", "ok", "comm", "as_u32", "ptr", "neg"]);
  assertSameRow(encoded, raw);
  const { want } = both(encoded, raw);
  assert.equal(
    new TextDecoder().decode(want),
    "16:58:31  4294967295 true ecli-test 1065353216 18446612682375452280 -9007199254740993\n",
  );
  // Random bytes in the same layout.
  const rec = raw.slice();
  let seed = 5;
  for (let i = 0; i < 2000; i++) {
    for (let k = 0; k < rec.length; k++) {
      rec[k] = (seed = (Math.imul(seed, 69069) + 1) >>> 0) >>> 24;
    }
    rec[encoded[1].bitOffset / 8] &= 1; // a C bool is 0 or 1
    assertSameRow(encoded, rec);
  }
});
