import assert from "node:assert/strict";
import { putI32, putI64, putU32, putU64 } from "./digits.ts";

const dst = new Uint8Array(32);
const text = (end: number) => new TextDecoder().decode(dst.subarray(0, end));
const halves = (v: bigint) => [Number(v & 0xffff_ffffn), Number(v >> 32n)] as const;

Deno.test("digit writers give the decimal text of every 32-bit width and group boundary", () => {
  // Every value below 2^21, then a stride through the rest: each four-digit group boundary.
  for (let n = 0; n < 4294967296; n += n < 1 << 21 ? 1 : 9973) {
    if (text(putU32(dst, 0, n)) !== String(n)) assert.equal(text(putU32(dst, 0, n)), String(n));
  }
  for (let k = 1; k <= 1e9; k *= 10) {
    for (const n of [k - 1, k, k + 1]) assert.equal(text(putU32(dst, 0, n)), String(n));
  }
  for (const n of [-2147483648, -1, 0, 1, 2147483647]) {
    assert.equal(text(putI32(dst, 0, n)), String(n));
  }
});

Deno.test("digit writers give exact 64-bit values: powers of 2 and 10, and random halves", () => {
  const values: bigint[] = [];
  for (let e = 0n; e < 64n; e++) values.push((1n << e) - 1n, 1n << e, (1n << e) + 1n);
  for (let k = 1n; k < 10n ** 20n; k *= 10n) values.push(k - 1n, k, k + 1n);
  let seed = 0x9e3779b9;
  const rand = () => (seed = Math.imul(seed ^ (seed >>> 15), 0x2c1b3c6d) >>> 0);
  for (let i = 0; i < 100_000; i++) {
    values.push(BigInt(rand() >>> (i % 12)) << 32n | BigInt(rand()));
  }
  for (const raw of values) {
    const v = BigInt.asUintN(64, raw);
    const [lo, hi] = halves(v);
    const u = text(putU64(dst, 0, lo, hi));
    if (u !== v.toString()) assert.equal(u, v.toString());
    const s = text(putI64(dst, 0, lo, hi | 0));
    if (s !== BigInt.asIntN(64, v).toString()) assert.equal(s, BigInt.asIntN(64, v).toString());
  }
});
