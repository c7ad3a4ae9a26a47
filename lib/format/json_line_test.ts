import assert from "node:assert/strict";
import { Kind, readBpfObject } from "../btf/mod.ts";
import { compileBpf } from "../../tests/support/clang.ts";
import { buildDecoder } from "../decode/mod.ts";
import { buildJsonLineEncoder } from "./json_line.ts";
import { toJsonLine } from "./json.ts";

const EVENT = `
struct event {
  unsigned int pid;
  unsigned int tid;
  unsigned long long ts;
  char comm[16];
  unsigned long long seq;
  unsigned long long arg0;
  unsigned int cpu;
  unsigned int flags;
  unsigned long long extra;
};
struct mixed {
  long long s64;
  int s32;
  short s16;
  signed char s8;
  unsigned char u8;
  _Bool flag;
  char name[9];
  unsigned short u16;
  const char *ptr;
  long long neg;
};
struct event e_;
struct mixed m_;
`;
const { btf } = readBpfObject(compileBpf(EVENT));

Deno.test("json line encoder = toJsonLine(decode(b))", () => {
  const id = btf.find("event", Kind.STRUCT)!.id;
  const enc = buildJsonLineEncoder(btf, id)!;
  const dec = buildDecoder(btf, id);
  assert.ok(enc);
  const rec = new Uint8Array(64 + 16);
  const v = new DataView(rec.buffer);
  const dst = new Uint8Array(4096);
  const specials = [
    0n,
    1n,
    9n,
    10n,
    99n,
    100n,
    99999999n,
    100000000n,
    4294967295n,
    4294967296n,
    2n ** 53n - 1n,
    2n ** 53n,
    2n ** 53n + 1n,
    2n ** 63n,
    2n ** 64n - 1n,
    1844674407370955161n,
    10000000000000000000n,
    18446744073709551615n,
    12345678901234567890n,
  ];
  let seed = 1;
  const rnd = () => (seed = (seed * 1103515245 + 12345) >>> 0);
  for (let i = 0; i < 20000; i++) {
    const base = i % 3 === 0 ? 16 : 0;
    for (let k = 0; k < 64; k += 4) v.setUint32(base + k, rnd(), true);
    if (i < specials.length * 4) {
      for (const off of [8, 32, 40, 56]) {
        v.setBigUint64(base + off, specials[(i + off) % specials.length], true);
      }
    }
    const comms = ["gen", 'a"b\\c', "é", "\x01x", "\xff\xfe", "exactly16bytes!!"];
    const c = comms[i % comms.length];
    const cb = new TextEncoder().encode(c);
    rec.fill(0, base + 16, base + 32);
    if (i % 7 !== 0) rec.set(cb.subarray(0, 16), base + 16);
    else rec.set(Uint8Array.from([0xff, 0xfe, 0x41]), base + 16);
    const b = rec.subarray(base, base + 64);
    const end = enc(b, dst, 0);
    const got = new TextDecoder().decode(dst.subarray(0, end));
    assert.equal(got, toJsonLine(dec(b)) + "\n");
    assert.ok(end <= enc.maxBytes);
  }
});

Deno.test("json line encoder: signed widths, bools, pointers and odd char arrays match toJsonLine", () => {
  const id = btf.find("mixed", Kind.STRUCT)!.id;
  const enc = buildJsonLineEncoder(btf, id)!;
  assert.ok(enc, "an all-scalar struct gets a direct encoder");
  const dec = buildDecoder(btf, id);
  const size = btf.sizeOf(id);
  const rec = new Uint8Array(size);
  const v = new DataView(rec.buffer);
  const dst = new Uint8Array(4096);
  const edges = [0n, -1n, 1n, -(2n ** 63n), 2n ** 63n - 1n, -(2n ** 53n) - 1n, -12345678901234567n];
  let seed = 7;
  const rnd = () => (seed = (seed * 1103515245 + 12345) >>> 0);
  for (let i = 0; i < 5000; i++) {
    for (let k = 0; k < size; k++) rec[k] = rnd() & 0xff;
    v.setBigInt64(0, edges[i % edges.length], true);
    v.setBigInt64(size - 8, edges[(i + 3) % edges.length], true);
    v.setBigInt64(size - 16, edges[(i + 5) % edges.length], true); // the pointer
    // A bool byte is 0 or 1 in C.
    rec[btf.find("mixed", Kind.STRUCT)!.members[5].bitOffset / 8] = i & 1;
    const end = enc(rec, dst, 0);
    assert.equal(new TextDecoder().decode(dst.subarray(0, end)), toJsonLine(dec(rec)) + "\n");
  }
});

Deno.test("json line encoder: the view form (`at`) writes what the bytes form does", () => {
  const id = btf.find("mixed", Kind.STRUCT)!.id;
  const enc = buildJsonLineEncoder(btf, id)!;
  const size = btf.sizeOf(id);
  // Records at odd offsets of one larger buffer, as a ring reader hands them over.
  const ring = new Uint8Array(8 + 4 * (size + 3));
  let x = 7;
  for (let i = 0; i < ring.length; i++) ring[i] = (x = (x * 1103515245 + 12345) >>> 0) >>> 24;
  const view = new DataView(ring.buffer, 8);
  const a = new Uint8Array(4096);
  const b = new Uint8Array(4096);
  for (let k = 0; k < 4; k++) {
    const offset = k * (size + 3) + 1;
    const bytes = new Uint8Array(ring.buffer, 8 + offset, size);
    const n = enc(bytes, a, 0);
    assert.equal(enc.at(view, offset, size, b, 0), n);
    assert.deepEqual(b.subarray(0, n), a.subarray(0, n));
    assert.equal(
      new TextDecoder().decode(a.subarray(0, n)),
      toJsonLine(buildDecoder(btf, id)(bytes)) + "\n",
    );
  }
  assert.throws(() => enc.at(view, 0, size - 1, b, 0), /record of \d+ bytes, the type needs/);
});
