/**
 * Readers for the rare scalar shapes that generated decoders call out to instead of inlining:
 * 128-bit integers, half floats and bitfields that do not fit one 32-bit window.
 * All reads are little-endian (the byte order of BPF on x86-64 and arm64).
 * @module
 */

/** `unsigned __int128` at byte `p`. */
export function readU128(view: DataView, p: number): bigint {
  return (view.getBigUint64(p + 8, true) << 64n) | view.getBigUint64(p, true);
}

/** `__int128` at byte `p`. */
export function readI128(view: DataView, p: number): bigint {
  return BigInt.asIntN(128, readU128(view, p));
}

/** IEEE 754 binary16 (`_Float16`) at byte `p`, widened to a number. */
export function readF16(view: DataView, p: number): number {
  const h = view.getUint16(p, true);
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >>> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 0x1f) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/**
 * A bitfield of up to 53 bits as a number: `width` bits starting `shift` bits into byte
 * `start`, over `span` bytes (at most 6, so the raw value stays exact).
 */
export function readBitsNumber(
  bytes: Uint8Array,
  start: number,
  span: number,
  shift: number,
  width: number,
  signed: boolean,
): number {
  let raw = 0;
  for (let i = span - 1; i >= 0; i--) raw = raw * 256 + bytes[start + i];
  const v = Math.floor(raw / 2 ** shift) % 2 ** width;
  return signed && v >= 2 ** (width - 1) ? v - 2 ** width : v;
}

/** A bitfield of any width as a bigint (see `readBitsNumber`). */
export function readBitsBigInt(
  bytes: Uint8Array,
  start: number,
  span: number,
  shift: number,
  width: number,
  signed: boolean,
): bigint {
  let raw = 0n;
  for (let i = span - 1; i >= 0; i--) raw = (raw << 8n) | BigInt(bytes[start + i]);
  const v = raw >> BigInt(shift);
  return signed ? BigInt.asIntN(width, v) : BigInt.asUintN(width, v);
}
