/**
 * Fuzz inputs: byte mutations of real inputs (bit flips, truncation, length and offset fields
 * pointed past the end or at huge values, spliced junk) and from-scratch bytes, as fast-check
 * arbitraries. Every mutation is deterministic in fast-check's seed, so a failure replays.
 * @module
 */
import fc from "fast-check";

/** Values that break length/offset arithmetic: 0, off-by-one around the input, 2^31, 4 GiB. */
function nastyU32(len: number): fc.Arbitrary<number> {
  return fc.oneof(
    fc.constantFrom(0, 1, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff, 0x10000, 0xffff),
    fc.constantFrom(len, len + 1, Math.max(0, len - 1), len * 2, len + 0x1000),
    fc.nat(),
  );
}

/** One edit applied to a copy of the input. */
type Edit = (b: Uint8Array) => Uint8Array;

function editArb(len: number): fc.Arbitrary<Edit> {
  const pos = fc.nat({ max: Math.max(0, len - 1) });
  return fc.oneof(
    // Bit flip.
    fc.tuple(pos, fc.nat({ max: 7 })).map(([p, bit]): Edit => (b) => {
      if (p < b.length) b[p] ^= 1 << bit;
      return b;
    }),
    // Byte overwrite.
    fc.tuple(pos, fc.integer({ min: 0, max: 255 })).map(([p, v]): Edit => (b) => {
      if (p < b.length) b[p] = v;
      return b;
    }),
    // A u32 length/offset field pointed past the end or at a huge value (aligned like fields).
    fc.tuple(pos, nastyU32(len)).map(([p, v]): Edit => (b) => {
      const at = p & ~3;
      if (at + 4 <= b.length) new DataView(b.buffer, b.byteOffset).setUint32(at, v >>> 0, true);
      return b;
    }),
    // A u64 field (ELF offsets and sizes) set to just past the end or to 2^32..2^64.
    fc.tuple(
      pos,
      fc.constantFrom(BigInt(len), BigInt(len + 1), 1n << 32n, (1n << 53n) + 1n, (1n << 64n) - 1n),
    ).map(([p, v]): Edit => (b) => {
      const at = p & ~7;
      if (at + 8 <= b.length) new DataView(b.buffer, b.byteOffset).setBigUint64(at, v, true);
      return b;
    }),
    // Truncation.
    pos.map((p): Edit => (b) => b.slice(0, p)),
    // Junk spliced in (shifts every later offset).
    fc.tuple(pos, fc.uint8Array({ maxLength: 16 })).map(([at, junk]): Edit => (b) => {
      const p = Math.min(at, b.length);
      const out = new Uint8Array(b.length + junk.length);
      out.set(b.subarray(0, p));
      out.set(junk, p);
      out.set(b.subarray(p), p + junk.length);
      return out;
    }),
    // A run of bytes deleted.
    fc.tuple(pos, fc.integer({ min: 1, max: 64 })).map(([at, n]): Edit => (b) => {
      const p = Math.min(at, b.length);
      n = Math.min(n, b.length - p);
      const out = new Uint8Array(Math.max(0, b.length - n));
      out.set(b.subarray(0, p));
      out.set(b.subarray(p + n), p);
      return out;
    }),
  );
}

/**
 * Mutations of the given real inputs: one to eight edits of a copy of one of them. Positions
 * are drawn for the longest seed and clamped, so every seed is reachable by every edit.
 */
export function mutatedBytes(seeds: Uint8Array[]): fc.Arbitrary<Uint8Array> {
  const len = Math.max(1, ...seeds.map((s) => s.length));
  return fc.tuple(
    fc.nat({ max: seeds.length - 1 }),
    fc.array(editArb(len), { minLength: 1, maxLength: 8 }),
  ).map(([i, edits]) => {
    let b: Uint8Array = seeds[i].slice();
    for (const e of edits) b = e(b);
    return b;
  });
}

/** Bytes from scratch, optionally behind a fixed prefix (a magic number) so readers get past it. */
export function scratchBytes(prefix: Uint8Array = new Uint8Array(0)): fc.Arbitrary<Uint8Array> {
  return fc.uint8Array({ maxLength: 512 }).map((tail) => {
    const out = new Uint8Array(prefix.length + tail.length);
    out.set(prefix);
    out.set(tail, prefix.length);
    return out;
  });
}

/** Mutated real text: the byte mutations, decoded back as UTF-8 (lossily, as a reader would). */
export function mutatedText(seeds: string[]): fc.Arbitrary<string> {
  const enc = new TextEncoder();
  const dec = new TextDecoder();
  return mutatedBytes(seeds.map((s) => enc.encode(s))).map((b) => dec.decode(b));
}

/** Replaces the value at a random path of a JSON document with `replacement`. */
export function replaceAtPath(doc: unknown, choose: number[], replacement: unknown): unknown {
  if (choose.length === 0 || doc === null || typeof doc !== "object") return replacement;
  const keys = Object.keys(doc as object);
  if (keys.length === 0) return replacement;
  const [c, ...rest] = choose;
  const key = keys[c % keys.length];
  const copy: Record<string, unknown> | unknown[] = Array.isArray(doc) ? [...doc] : { ...doc };
  (copy as Record<string, unknown>)[key] = replaceAtPath(
    (doc as Record<string, unknown>)[key],
    rest,
    replacement,
  );
  return copy;
}

/** Values that stress a schema: wrong types, huge numbers and strings, deep nesting. */
export function hostileValue(): fc.Arbitrary<unknown> {
  return fc.oneof(
    fc.jsonValue({ maxDepth: 3 }),
    fc.constantFrom(
      null,
      -1,
      1.5,
      2 ** 53 + 2,
      1e308,
      -0,
      "",
      "\n",
      "a\nb",
      true,
      [],
      {},
      "__proto__",
    ),
    fc.integer({ min: 1, max: 200_000 }).map((n) => "x".repeat(n)),
    fc.integer({ min: 1, max: 5_000 }).map((n) => deepArray(n)),
    fc.integer({ min: 1, max: 5_000 }).map((n) => deepObject(n)),
    fc.integer({ min: 1, max: 50_000 }).map((n) => Array.from({ length: n }, (_, i) => i)),
  );
}

/** `[[[…]]]`, `depth` deep. */
export function deepArray(depth: number): unknown {
  let v: unknown = [];
  for (let i = 0; i < depth; i++) v = [v];
  return v;
}

/** `{"a":{"a":…}}`, `depth` deep. */
export function deepObject(depth: number): unknown {
  let v: unknown = {};
  for (let i = 0; i < depth; i++) v = { a: v };
  return v;
}
