/**
 * Cross-check against the compiler: one struct is compiled for BPF (for its BTF) and natively
 * for x86-64 (same little-endian layout rules) by a program that fills it and writes its bytes.
 * The decoder must read back exactly what the C code stored: bitfields, anonymous unions,
 * 2-D arrays, enums, __int128.
 * @module
 */
import assert from "node:assert/strict";
import { compileBpf, nativeStdout } from "../../tests/support/clang.ts";
import { Kind, readBpfObject } from "../btf/mod.ts";
import { buildDecoder } from "./mod.ts";

const TYPES = `
enum color { RED, GREEN = 5, BLUE = -1 };
struct bits {
  unsigned int a: 3;
  int b: 5;
  unsigned int c: 20;
  int d: 4;
  unsigned long long e: 40;
  long long f: 23;
  _Bool g: 1;
  enum color h: 4;
};
struct event {
  unsigned int pid;
  _Bool ok;
  char comm[16];
  union { unsigned int as_u32; float as_f32; };
  struct { unsigned short x; short y; } point;
  int grid[2][3];
  char names[2][8];
  enum color color;
  float f;
  double d;
  const char *ptr;
  struct bits bits;
  unsigned __int128 big;
  long long neg;
  unsigned char mac[6];
};
`;

const FILL = `
#include <stdio.h>
#include <string.h>
${TYPES}
int main(void) {
  struct event e;
  memset(&e, 0, sizeof e);
  e.pid = 4294967295u;
  e.ok = 1;
  strcpy(e.comm, "ecli-test");
  e.as_u32 = 0x3f800000;
  e.point.x = 65535;
  e.point.y = -2;
  for (int i = 0; i < 2; i++)
    for (int j = 0; j < 3; j++) e.grid[i][j] = i * 10 - j;
  strcpy(e.names[0], "alpha");
  memcpy(e.names[1], "12345678", 8);
  e.color = BLUE;
  e.f = 1.5f;
  e.d = -0.25;
  e.ptr = (const char *)0xffff888012345678ull;
  e.bits.a = 5;
  e.bits.b = -16;
  e.bits.c = 0xfffff;
  e.bits.d = -3;
  e.bits.e = 0xfedcba9876ull;
  e.bits.f = -4194304;
  e.bits.g = 1;
  e.bits.h = BLUE;
  e.big = ((unsigned __int128)1 << 100) + 7;
  e.neg = -9007199254740993LL;
  memcpy(e.mac, "\\x00\\x11\\x22\\x33\\x44\\xff", 6);
  fwrite(&e, sizeof e, 1, stdout);
  return 0;
}
`;

Deno.test("decoding matches what C stored, layout taken from clang's BTF", () => {
  const { btf } = readBpfObject(compileBpf(`${TYPES}\nstruct event ev;\n`));
  const event = btf.find("event", Kind.STRUCT);
  assert.ok(event);
  const raw = nativeStdout(FILL);
  assert.equal(raw.length, event.size, "native and BPF layouts have the same size");

  assert.deepEqual(buildDecoder(btf, event.id)(raw), {
    pid: 4294967295,
    ok: true,
    comm: "ecli-test",
    as_u32: 0x3f800000,
    as_f32: 1,
    point: { x: 65535, y: -2 },
    grid: [[0, -1, -2], [10, 9, 8]],
    names: ["alpha", "12345678"],
    color: "BLUE",
    f: 1.5,
    d: -0.25,
    ptr: 0xffff888012345678n,
    bits: {
      a: 5,
      b: -16,
      c: 0xfffff,
      d: -3,
      e: 0xfedcba9876n,
      f: -4194304,
      g: true,
      h: "BLUE",
    },
    big: (1n << 100n) + 7n,
    neg: -9007199254740993n,
    mac: [0x00, 0x11, 0x22, 0x33, 0x44, 0xff],
  });
});
