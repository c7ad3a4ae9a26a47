/**
 * Decimal digits written straight into a byte buffer, for the generated record encoders: no
 * number-to-string conversion and no bigint for 64-bit values (read as two 32-bit halves).
 * @module
 */

/**
 * Every four-digit group `0000`–`9999` as ASCII: numbers are written four digits per division,
 * which is the cost (a float division takes longer than storing the digits it gives).
 */
const QUADS = new Uint8Array(40000);
for (let i = 0; i < 10000; i++) {
  QUADS[4 * i] = 48 + Math.floor(i / 1000);
  QUADS[4 * i + 1] = 48 + Math.floor(i / 100) % 10;
  QUADS[4 * i + 2] = 48 + Math.floor(i / 10) % 10;
  QUADS[4 * i + 3] = 48 + i % 10;
}

/** `n` < 1e4 without leading zeros at `p`; returns the end. */
function putUpTo4(dst: Uint8Array, p: number, n: number): number {
  const q = n << 2;
  if (n >= 1000) {
    dst[p] = QUADS[q];
    dst[p + 1] = QUADS[q + 1];
    dst[p + 2] = QUADS[q + 2];
    dst[p + 3] = QUADS[q + 3];
    return p + 4;
  }
  if (n >= 100) {
    dst[p] = QUADS[q + 1];
    dst[p + 1] = QUADS[q + 2];
    dst[p + 2] = QUADS[q + 3];
    return p + 3;
  }
  if (n >= 10) {
    dst[p] = QUADS[q + 2];
    dst[p + 1] = QUADS[q + 3];
    return p + 2;
  }
  dst[p] = 48 + n;
  return p + 1;
}

/** Exactly 4 digits of `n` < 1e4 at `p`. */
function put4(dst: Uint8Array, p: number, n: number): void {
  const q = n << 2;
  dst[p] = QUADS[q];
  dst[p + 1] = QUADS[q + 1];
  dst[p + 2] = QUADS[q + 2];
  dst[p + 3] = QUADS[q + 3];
}

/**
 * Exactly 8 digits of `n` < 1e8 at `p`. `n * 1e-4` floors to the exact quotient: the double
 * 1e-4 is slightly above 10^-4, so multiples never round down, and the rounding error (< 2^-26)
 * is far below the 10^-4 a non-multiple stays from the next integer.
 */
function put8(dst: Uint8Array, p: number, n: number): number {
  const hi = Math.floor(n * 1e-4);
  put4(dst, p, hi);
  put4(dst, p + 4, n - hi * 10000);
  return p + 8;
}

/** Decimal digits of `n` (an integer in [0, 2^32)) at `p`; returns the end. */
export function putU32(dst: Uint8Array, p: number, n: number): number {
  if (n < 10000) return putUpTo4(dst, p, n);
  if (n < 1e8) {
    const hi = Math.floor(n * 1e-4); // exact, as in put8
    p = putUpTo4(dst, p, hi);
    put4(dst, p, n - hi * 10000);
    return p + 4;
  }
  const hi = Math.floor(n / 1e8); // 1..42
  return put8(dst, putUpTo4(dst, p, hi), n - hi * 1e8);
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
