import { type Btf, type BtfType, Kind, typeName } from "../btf/mod.ts";
import { ArgError } from "./errors.ts";

/** A value from the command line (always a string) or from package metadata (any JSON). */
export type RawValue = string | number | boolean | bigint;

function isCharElement(btf: Btf, id: number): boolean {
  const t = btf.resolve(id);
  return t.kind === Kind.INT && t.size === 1 && (t.char || /char/.test(t.name));
}

/** Parses an integer written in decimal, hex (0x), octal (0o) or binary (0b), with a sign. */
export function parseInteger(text: string): bigint | undefined {
  const m = /^\s*([+-]?)(0[xX][0-9a-fA-F_]+|0[oO][0-7_]+|0[bB][01_]+|[0-9][0-9_]*)\s*$/.exec(text);
  if (!m) return undefined;
  const v = BigInt(m[2].replaceAll("_", ""));
  return m[1] === "-" ? -v : v;
}

function intRange(size: number, signed: boolean): [bigint, bigint] {
  const bits = BigInt(size * 8);
  return signed ? [-(1n << (bits - 1n)), (1n << (bits - 1n)) - 1n] : [0n, (1n << bits) - 1n];
}

function writeInt(out: Uint8Array, value: bigint, size: number): void {
  let v = BigInt.asUintN(size * 8, value);
  for (let i = 0; i < size; i++) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
}

const TRUE = new Set(["true", "1", "yes", "on"]);
const FALSE = new Set(["false", "0", "no", "off"]);

function parseBool(flag: string, raw: RawValue): boolean {
  if (typeof raw === "boolean") return raw;
  const s = String(raw).toLowerCase();
  if (TRUE.has(s)) return true;
  if (FALSE.has(s)) return false;
  throw new ArgError(`${flag}: '${raw}' is not a boolean (true or false)`);
}

function encodeInt(flag: string, t: BtfType & { kind: Kind.INT }, raw: RawValue, cName: string) {
  const out = new Uint8Array(t.size);
  if (t.bool || t.name === "_Bool") {
    out[0] = parseBool(flag, raw) ? 1 : 0;
    return out;
  }
  let v: bigint | undefined;
  if (typeof raw === "bigint") v = raw;
  else if (typeof raw === "number") v = Number.isInteger(raw) ? BigInt(raw) : undefined;
  else if (typeof raw === "boolean") v = raw ? 1n : 0n;
  else {
    v = parseInteger(raw);
    // A single character sets a char variable to its code.
    if (v === undefined && t.size === 1 && [...raw].length === 1 && raw.charCodeAt(0) < 128) {
      v = BigInt(raw.charCodeAt(0));
    }
  }
  if (v === undefined) throw new ArgError(`${flag}: '${raw}' is not an integer (${cName})`);
  const [lo, hi] = intRange(t.size, t.signed);
  if (v < lo || v > hi) {
    throw new ArgError(`${flag}: ${v} is out of range for ${cName} (${lo}..${hi})`);
  }
  writeInt(out, v, t.size);
  return out;
}

function encodeEnum(
  flag: string,
  t: BtfType & { kind: Kind.ENUM | Kind.ENUM64 },
  raw: RawValue,
  cName: string,
) {
  const byName = t.values.find((e) => e.name === String(raw));
  let v: bigint | undefined = byName !== undefined ? BigInt(byName.value) : undefined;
  if (v === undefined) {
    v = typeof raw === "string"
      ? parseInteger(raw)
      : typeof raw === "number" && Number.isInteger(raw)
      ? BigInt(raw)
      : typeof raw === "bigint"
      ? raw
      : undefined;
  }
  const names = t.values.map((e) => e.name).join(", ");
  if (v === undefined) {
    throw new ArgError(`${flag}: '${raw}' is not a value of ${cName} (${names}, or a number)`);
  }
  const [slo, shi] = intRange(t.size, true);
  const [, uhi] = intRange(t.size, false);
  if (v < slo || v > uhi) {
    throw new ArgError(
      `${flag}: ${v} is out of range for ${cName} (${slo}..${t.signed ? shi : uhi})`,
    );
  }
  const out = new Uint8Array(t.size);
  writeInt(out, v, t.size);
  return out;
}

/**
 * Encodes a flag value as the bytes of the variable's BTF type (little-endian): every integer
 * width signed and unsigned over its full range, bool, char (a number or one character),
 * enums by name or number, float and double, char arrays (UTF-8 plus NUL, zero-filled).
 */
export function encodeValue(btf: Btf, typeId: number, raw: RawValue, flag: string): Uint8Array {
  const cName = typeName(btf, typeId);
  const t = btf.resolve(typeId);
  switch (t.kind) {
    case Kind.INT:
      if (t.size > 16) break;
      return encodeInt(flag, t, raw, cName);
    case Kind.ENUM:
    case Kind.ENUM64:
      return encodeEnum(flag, t, raw, cName);
    case Kind.FLOAT: {
      const n = typeof raw === "number" ? raw : Number(String(raw).trim());
      if (String(raw).trim() === "" || Number.isNaN(n)) {
        throw new ArgError(`${flag}: '${raw}' is not a number (${cName})`);
      }
      const out = new Uint8Array(t.size);
      const view = new DataView(out.buffer);
      if (t.size === 4) view.setFloat32(0, n, true);
      else if (t.size === 8) view.setFloat64(0, n, true);
      else break;
      return out;
    }
    case Kind.ARRAY: {
      if (!isCharElement(btf, t.type)) break;
      const bytes = new TextEncoder().encode(String(raw));
      if (bytes.length + 1 > t.nelems) {
        throw new ArgError(
          `${flag}: '${raw}' needs ${
            bytes.length + 1
          } bytes with its NUL; ${cName} holds ${t.nelems}`,
        );
      }
      const out = new Uint8Array(t.nelems);
      out.set(bytes);
      return out;
    }
  }
  throw new ArgError(`${flag}: a variable of type ${cName} cannot be set from the command line`);
}

/** Whether the variable's type is a boolean (the flag is a switch). */
export function isBoolType(btf: Btf, typeId: number): boolean {
  const t = btf.resolve(typeId);
  return t.kind === Kind.INT && (t.bool || t.name === "_Bool");
}
