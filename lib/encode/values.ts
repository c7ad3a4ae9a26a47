/**
 * Checks on the JS values an encoder is given: what kind of value it is (for messages) and
 * integer conversions with range checks. Problems are thrown as `FieldProblem`s, which the
 * encoder turns into `EncodeError`s carrying the field path.
 * @module
 */
import { FieldProblem } from "./errors.ts";

/** Longest string quoted in full in a message; longer ones are cut with `…`. */
const QUOTE_MAX = 40;

/** A short description of a JS value for messages: `string "12"`, `an array`, `null`. */
export function describeValue(v: unknown): string {
  switch (typeof v) {
    case "string":
      return `string ${quote(v)}`;
    case "number":
    case "bigint":
    case "boolean":
      return `${typeof v} ${String(v)}`;
    case "undefined":
      return "undefined";
    case "function":
      return "a function";
    case "symbol":
      return "a symbol";
  }
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  const name = (v as object).constructor?.name;
  return name && name !== "Object" ? `a ${name}` : "an object";
}

/** `s` as a JSON string literal, cut to `QUOTE_MAX` characters. */
export function quote(s: string): string {
  return s.length > QUOTE_MAX
    ? `${JSON.stringify(s.slice(0, QUOTE_MAX)).slice(0, -1)}…"`
    : JSON.stringify(s);
}

/** Whether `v` is an array or a typed array (anything indexable an array type accepts). */
export function isArrayLike(v: unknown): v is ArrayLike<unknown> {
  return Array.isArray(v) || (ArrayBuffer.isView(v) && !(v instanceof DataView));
}

/**
 * Whether `v` can stand for a struct: a non-null object that is not an array, a typed array or
 * a collection (whose entries are not own properties, so they would be silently ignored).
 */
export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !isArrayLike(v) && !ArrayBuffer.isView(v) &&
    !(v instanceof Map) && !(v instanceof Set);
}

/** Inclusive range of a `bits`-wide integer. */
export function intRange(bits: number, signed: boolean): [min: bigint, max: bigint] {
  const b = BigInt(bits);
  return signed ? [-(1n << (b - 1n)), (1n << (b - 1n)) - 1n] : [0n, (1n << b) - 1n];
}

/** The problem of a value outside `[min, max]` for `what`. */
export function outOfRange(
  v: number | bigint,
  what: string,
  min: bigint,
  max: bigint,
): FieldProblem {
  return new FieldProblem(`${String(v)} is out of range for ${what} (${min}..${max})`);
}

/**
 * `v` (a number or bigint) as a number, for integers of at most 32 bits: it must be an integer
 * in `[min, max]`; `what` names the C type in messages.
 */
export function toIntNumber(v: unknown, min: number, max: number, what: string): number {
  if (typeof v === "number") {
    if (!Number.isInteger(v)) throw new FieldProblem(`${v} is not an integer (${what})`);
    if (v < min || v > max) throw outOfRange(v, what, BigInt(min), BigInt(max));
    return v;
  }
  if (typeof v === "bigint") {
    if (v < min || v > max) throw outOfRange(v, what, BigInt(min), BigInt(max));
    return Number(v);
  }
  throw new FieldProblem(`expected a number or bigint for ${what}, got ${describeValue(v)}`);
}

/** `v` (a number or bigint) as a bigint in `[min, max]`, for integers wider than 32 bits. */
export function toIntBigInt(v: unknown, min: bigint, max: bigint, what: string): bigint {
  let b: bigint;
  if (typeof v === "bigint") b = v;
  else if (typeof v === "number") {
    if (!Number.isInteger(v)) throw new FieldProblem(`${v} is not an integer (${what})`);
    b = BigInt(v);
  } else {
    throw new FieldProblem(`expected a number or bigint for ${what}, got ${describeValue(v)}`);
  }
  if (b < min || b > max) throw outOfRange(v, what, min, max);
  return b;
}

/** `v` as 0 or 1 for a `_Bool`: `true`/`false`, or the numbers 0 and 1. */
export function toBoolBit(v: unknown, what: string): 0 | 1 {
  if (v === true || v === 1 || v === 1n) return 1;
  if (v === false || v === 0 || v === 0n) return 0;
  throw new FieldProblem(`expected a boolean for ${what}, got ${describeValue(v)}`);
}
