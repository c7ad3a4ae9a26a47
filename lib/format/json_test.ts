import assert from "node:assert/strict";
import { toJsonLine } from "./mod.ts";

Deno.test("JSON lines print 64-bit values as exact numbers, keys in member order", () => {
  assert.equal(toJsonLine({ ts: 18446744073709551615n }), '{"ts":18446744073709551615}');
  assert.equal(
    toJsonLine({
      pid: 4294967295,
      ts: 9007199254740993n,
      neg: -9223372036854775808n,
      comm: 'a"b\\c\n',
      grid: [[1, 2], [3n]],
      p: { f: 1.2300000190734863, d: -0.25, ok: false },
      e: "E_A",
    }),
    '{"pid":4294967295,"ts":9007199254740993,"neg":-9223372036854775808,' +
      '"comm":"a\\"b\\\\c\\n","grid":[[1,2],[3]],"p":{"f":1.2300000190734863,"d":-0.25,' +
      '"ok":false},"e":"E_A"}',
  );
});

Deno.test("JSON lines follow JSON.stringify for everything that is not a bigint", () => {
  const cases: unknown[] = [
    { a: undefined, b: () => 1, c: NaN, d: -Infinity, e: -0, f: null },
    [undefined, NaN, "x", { toJSON: () => "tj" }],
    new Date(0),
    "é\u2028\ud800",
    { "": 1, "weird key\t": [] },
    [],
    {},
    1e21,
  ];
  for (const c of cases) assert.equal(toJsonLine(c), JSON.stringify(c));
  assert.equal(toJsonLine(undefined), "null");
  assert.equal(toJsonLine(123n), "123");
  assert.equal(toJsonLine(Uint8Array.of(1, 255)), "[1,255]");
  assert.equal(toJsonLine(BigUint64Array.of(2n ** 64n - 1n)), "[18446744073709551615]");
  assert.equal(
    toJsonLine({ toJSON: () => ({ big: 2n ** 70n }) }),
    '{"big":1180591620717411303424}',
  );
});
