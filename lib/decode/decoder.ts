import { type Btf, Kind, typeName } from "../btf/mod.ts";
import { compileDecoder, type DecodeFn } from "./codegen.ts";
import { type StructField, structFields } from "./fields.ts";

/**
 * Decodes one value from `bytes` at `offset` (default 0). Throws `DecodeError` when the buffer
 * is too short; otherwise never throws.
 */
export type Decoder = (bytes: Uint8Array, offset?: number) => unknown;

/**
 * A generated `Decoder`. `at` decodes the same value from a record given as `length` bytes at
 * `offset` of a `DataView` (what `RingBufferReader` hands out with `{ at }`), so that no view
 * object is made per record; it throws `DecodeError` when `length` is too short.
 */
export type GeneratedDecoder = DecodeFn;

/** Decodes the fields of one value, in field order (one entry per table column); see `Decoder`. */
export type RowDecoder = ((bytes: Uint8Array, offset?: number) => unknown[]) & {
  readonly at: (view: DataView, offset: number, length: number) => unknown[];
};

/**
 * The JS values a decoder produces:
 * - integers up to 32 bits (bitfields included) → number; 64- and 128-bit integers and wider
 *   bitfields → bigint (exact); pointers → bigint address
 * - `_Bool` and BOOL-encoded integers → boolean
 * - `char[N]` → string up to the first NUL (the whole array when there is none; invalid UTF-8
 *   becomes U+FFFD); other arrays → arrays, nested for multi-dimensional ones
 * - structs and unions → plain objects in member order, anonymous members flattened; union
 *   members are each decoded from the same bytes
 * - enums → the enumerator name when the value matches one, else the number (bigint for
 *   64-bit enums)
 * - `float`/`double`/`_Float16` → number
 */
export type DecodedValue =
  | number
  | bigint
  | boolean
  | string
  | DecodedValue[]
  | { [name: string]: DecodedValue };

const cache = new WeakMap<Btf, Map<number, GeneratedDecoder>>();

/** `build()`'s result for `typeId` of `btf`, made once and kept in `cache` (per `Btf`). */
export function cachedPerType<T>(
  cache: WeakMap<Btf, Map<number, T>>,
  btf: Btf,
  typeId: number,
  build: () => T,
): T {
  let perBtf = cache.get(btf);
  if (!perBtf) cache.set(btf, perBtf = new Map());
  let value = perBtf.get(typeId);
  if (value === undefined) perBtf.set(typeId, value = build());
  return value;
}

/**
 * A decoder for BTF type `typeId`, generated once (and cached per `Btf`) so that decoding an
 * event does no per-field type dispatch. A struct or union decodes to a plain object; any
 * other type to its value. The bytes are read, never kept: the result owns no view of them.
 */
export function buildDecoder(btf: Btf, typeId: number): GeneratedDecoder {
  return cachedPerType(cache, btf, typeId, () => {
    const t = btf.resolve(typeId);
    const composite = t.kind === Kind.STRUCT || t.kind === Kind.UNION;
    return compileDecoder(
      btf,
      structFields(btf, typeId),
      composite ? "object" : "value",
      btf.sizeOf(typeId),
      describeType(btf, typeId),
    );
  });
}

/**
 * A decoder producing an object with exactly `fields` (e.g. an export's custom members, or
 * members renamed by `export_types`), keyed by their names in the given order.
 */
export function buildFieldsDecoder(
  btf: Btf,
  fields: readonly StructField[],
): GeneratedDecoder {
  return compileDecoder(btf, fields, "object", fieldsSize(btf, fields), "fields");
}

/**
 * A decoder producing the values of `fields` as an array in the same order, for the plain
 * text table (whose header is built from the same field names).
 */
export function buildRowDecoder(btf: Btf, fields: readonly StructField[]): RowDecoder {
  return compileDecoder(btf, fields, "row", fieldsSize(btf, fields), "fields") as RowDecoder;
}

/** Bytes a list of fields spans from offset 0. */
function fieldsSize(btf: Btf, fields: readonly StructField[]): number {
  let size = 0;
  for (const f of fields) {
    const bits = f.bitSize || btf.sizeOf(f.type) * 8;
    size = Math.max(size, Math.ceil((f.bitOffset + bits) / 8));
  }
  return size;
}

/** The C name of `typeId` for messages (`struct event`), or its id when it has none. */
export function describeType(btf: Btf, typeId: number): string {
  try {
    return typeName(btf, typeId);
  } catch {
    return `type id ${typeId}`;
  }
}
