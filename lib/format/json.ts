/**
 * Compact JSON for decoded events. `JSON.stringify` cannot print a bigint, and turning 64-bit
 * values into strings or rounded numbers would lose what the event said, so bigints are
 * written as exact JSON numbers: `{"ts":18446744073709551615}`.
 * @module
 */

/** Quoted keys by name: member names repeat for every event. */
const quotedKeys = new Map<string, string>();
const QUOTED_KEYS_MAX = 4096;

function quoteKey(key: string): string {
  let q = quotedKeys.get(key);
  if (q === undefined) {
    q = JSON.stringify(key);
    if (quotedKeys.size < QUOTED_KEYS_MAX) quotedKeys.set(key, q);
  }
  return q;
}

/**
 * One event as compact JSON text, without a trailing newline. Keys keep their insertion order
 * (struct member order for decoded events; upstream sorts them). bigints become exact JSON
 * numbers; everything else follows `JSON.stringify` (`toJSON` is honoured, non-finite numbers
 * become `null`, `undefined` members are left out), and typed arrays become JSON arrays.
 */
export function toJsonLine(value: unknown): string {
  return write(value) ?? "null";
}

function write(v: unknown): string | undefined {
  switch (typeof v) {
    case "string":
      return JSON.stringify(v);
    case "number":
      return Number.isFinite(v) ? String(v) : "null";
    case "bigint":
      return v.toString();
    case "boolean":
      return v ? "true" : "false";
    case "object":
      return v === null ? "null" : writeObject(v);
    default:
      return undefined; // undefined, functions and symbols, as JSON.stringify
  }
}

function writeObject(v: object): string | undefined {
  if (typeof (v as { toJSON?: unknown }).toJSON === "function") {
    return write((v as { toJSON(): unknown }).toJSON());
  }
  if (Array.isArray(v)) return writeArray(v);
  if (ArrayBuffer.isView(v) && !(v instanceof DataView)) {
    return writeArray(v as unknown as ArrayLike<unknown>);
  }
  let out = "{";
  for (const key of Object.keys(v)) {
    const item = write((v as Record<string, unknown>)[key]);
    if (item === undefined) continue;
    if (out.length > 1) out += ",";
    out += quoteKey(key) + ":" + item;
  }
  return out + "}";
}

function writeArray(a: ArrayLike<unknown>): string {
  let out = "[";
  for (let i = 0; i < a.length; i++) {
    if (i > 0) out += ",";
    out += write(a[i]) ?? "null";
  }
  return out + "]";
}
