/**
 * Writers for the scalar shapes `DataView` has no setter for: 128-bit integers, half floats
 * and bitfields (read-modify-write of the bytes they share with their neighbours). All writes
 * are little-endian (the byte order of BPF on x86-64 and arm64), the inverse of
 * `lib/decode/scalars.ts`.
 * @module
 */

const U64 = (1n << 64n) - 1n;

/** A 128-bit integer (any sign; stored as its two's complement) at byte `p`. */
export function writeI128(view: DataView, p: number, v: bigint): void {
  const u = BigInt.asUintN(128, v);
  view.setBigUint64(p, u & U64, true);
  view.setBigUint64(p + 8, u >> 64n, true);
}

/**
 * The IEEE 754 binary16 bit pattern nearest to `x` (ties to even), as `_Float16` conversion
 * rounds; magnitudes of 65520 and more become infinity, NaN the quiet NaN `0x7e00`.
 */
export function f16Bits(x: number): number {
  if (Number.isNaN(x)) return 0x7e00;
  const sign = x < 0 || Object.is(x, -0) ? 0x8000 : 0;
  const a = Math.abs(x);
  if (a === Infinity) return sign | 0x7c00;
  if (a < 2 ** -14) {
    // Subnormal: a multiple of 2^-24. Rounding up to 1024 gives the smallest normal, whose
    // pattern is exactly 0x0400.
    return sign | roundHalfEven(a * 2 ** 24);
  }
  let e = Math.floor(Math.log2(a));
  if (2 ** e > a) e--;
  else if (2 ** (e + 1) <= a) e++;
  let m = roundHalfEven((a / 2 ** e - 1) * 1024);
  if (m === 1024) {
    m = 0;
    e++;
  }
  if (e > 15) return sign | 0x7c00;
  return sign | ((e + 15) << 10) | m;
}

/** `_Float16` nearest to `x` at byte `p`. */
export function writeF16(view: DataView, p: number, x: number): void {
  view.setUint16(p, f16Bits(x), true);
}

function roundHalfEven(y: number): number {
  const f = Math.floor(y);
  const r = y - f;
  if (r > 0.5) return f + 1;
  if (r < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

/** Where a bitfield lies: `width` bits starting `shift` bits into byte `start`, over `span` bytes. */
export interface BitPlace {
  /** First byte (relative to the value's start). */
  start: number;
  /** Bit offset inside the first byte (0 = least significant). */
  shift: number;
  /** Width in bits. */
  width: number;
  /** Bytes touched. */
  span: number;
  /** Per touched byte, the bits that belong to the field. */
  masks: number[];
}

/** The place of a bitfield `width` bits wide starting `bitOffset` bits into a value. */
export function bitPlace(bitOffset: number, width: number): BitPlace {
  const start = Math.floor(bitOffset / 8);
  const shift = bitOffset % 8;
  const span = Math.ceil((shift + width) / 8);
  const all = ((1n << BigInt(width)) - 1n) << BigInt(shift);
  const masks = Array.from({ length: span }, (_, k) => Number((all >> BigInt(8 * k)) & 0xffn));
  return { start, shift, width, span, masks };
}

/**
 * Stores `raw` (the field's bits as an unsigned value below 2^width: a number up to 32 bits
 * wide, else a bigint) at `place` relative to byte `at`, keeping the other bits of the bytes.
 */
export function writeBits(
  bytes: Uint8Array,
  at: number,
  place: BitPlace,
  raw: number | bigint,
): void {
  const { masks, span } = place;
  const p = at + place.start;
  if (typeof raw === "number") {
    let x = raw * 2 ** place.shift; // below 2^39: exact
    for (let k = 0; k < span; k++) {
      const byte = x % 256;
      x = (x - byte) / 256;
      bytes[p + k] = (bytes[p + k] & ~masks[k]) | byte;
    }
  } else {
    let x = raw << BigInt(place.shift);
    for (let k = 0; k < span; k++) {
      bytes[p + k] = (bytes[p + k] & ~masks[k]) | Number(x & 0xffn);
      x >>= 8n;
    }
  }
}
