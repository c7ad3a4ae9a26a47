/**
 * Decimal digits written straight into a byte buffer, for the generated record encoders: no
 * number-to-string conversion and no bigint for 64-bit values (read as two 32-bit halves).
 * @module
 */

const PAIRS = new Uint8Array(200);
for (let i = 0; i < 100; i++) {
  PAIRS[2 * i] = 48 + Math.floor(i / 10);
  PAIRS[2 * i + 1] = 48 + (i % 10);
}

/** Decimal digits of `n` (an integer in [0, 2^32)) at `p`; returns the end. */
export function putU32(dst: Uint8Array, p: number, n: number): number {
  const len = n < 1e5
    ? (n < 10 ? 1 : n < 100 ? 2 : n < 1e3 ? 3 : n < 1e4 ? 4 : 5)
    : (n < 1e6 ? 6 : n < 1e7 ? 7 : n < 1e8 ? 8 : n < 1e9 ? 9 : 10);
  let e = p + len;
  while (n >= 100) {
    const q = (n / 100) >>> 0;
    const r = (n - q * 100) << 1;
    dst[--e] = PAIRS[r + 1];
    dst[--e] = PAIRS[r];
    n = q;
  }
  if (n >= 10) {
    dst[--e] = PAIRS[(n << 1) + 1];
    dst[--e] = PAIRS[n << 1];
  } else dst[--e] = 48 + n;
  return p + len;
}

/** Exactly 8 digits of `n` < 1e8 at `p`. */
function put8(dst: Uint8Array, p: number, n: number): number {
  for (let e = p + 8; e > p;) {
    const q = (n / 100) >>> 0;
    const r = (n - q * 100) << 1;
    dst[--e] = PAIRS[r + 1];
    dst[--e] = PAIRS[r];
    n = q;
  }
  return p + 8;
}

/** The characters of an ASCII string `s` at `p`; returns the end. */
export function putAscii(dst: Uint8Array, p: number, s: string): number {
  for (let i = 0; i < s.length; i++) dst[p++] = s.charCodeAt(i);
  return p;
}

/** The unsigned 64-bit integer `hi:lo` in decimal (doubles only ever hold exact values). */
export function putU64(dst: Uint8Array, p: number, lo: number, hi: number): number {
  if (hi === 0) return putU32(dst, p, lo);
  let q: number;
  let r: number;
  if (hi < 0x200000) { // below 2^53: one exact double
    const n = hi * 4294967296 + lo;
    q = Math.floor(n / 1e8);
    r = n - q * 1e8;
  } else { // long division by 1e8 in 32/16/16-bit steps, every step below 2^53
    const qa = Math.floor(hi / 1e8);
    const b = (hi - qa * 1e8) * 65536 + (lo >>> 16);
    const qb = Math.floor(b / 1e8);
    const c = (b - qb * 1e8) * 65536 + (lo & 0xffff);
    const qc = Math.floor(c / 1e8);
    q = qa * 4294967296 + qb * 65536 + qc;
    r = c - qc * 1e8;
  }
  if (q < 4294967296) p = putU32(dst, p, q);
  else {
    const qq = Math.floor(q / 1e8);
    p = put8(dst, putU32(dst, p, qq), q - qq * 1e8);
  }
  return put8(dst, p, r);
}

/** The signed 64-bit integer `hi:lo` (hi read as int32) in decimal. */
export function putI64(dst: Uint8Array, p: number, lo: number, hi: number): number {
  if (hi >= 0) return putU64(dst, p, lo, hi);
  dst[p++] = 45; // '-': negate the two's complement
  const nlo = (~lo + 1) >>> 0;
  const nhi = (~hi + (nlo === 0 ? 1 : 0)) >>> 0;
  return putU64(dst, p, nlo, nhi);
}

/** A signed 32-bit integer in decimal. */
export function putI32(dst: Uint8Array, p: number, n: number): number {
  if (n >= 0) return putU32(dst, p, n);
  dst[p++] = 45;
  return putU32(dst, p, -n);
}
