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
import { FILL, TYPES } from "../../tests/support/event_types.ts";

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
