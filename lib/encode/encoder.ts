import { type Btf, typeName } from "../btf/mod.ts";
import { EncodeError, FieldProblem } from "./errors.ts";
import { type FieldWriter, WriterBuilder } from "./writers.ts";

/**
 * Encodes one JS value into the bytes of its BTF type. Without `into` it returns a new
 * zero-filled buffer of the type's size with the value written; with `into` it zeroes and
 * writes `into[offset, offset + size)` and returns `into`. Throws `EncodeError`, naming the
 * field path, when the value does not fit (the bytes written so far are then unspecified).
 */
export type Encoder = (value: unknown, into?: Uint8Array, offset?: number) => Uint8Array;

const cache = new WeakMap<Btf, Map<number, FieldWriter>>();

/**
 * An encoder for BTF type `typeId`, the inverse of `buildDecoder`: `decode(encode(x))` gives
 * `x` back for every value the decoder can produce. The type's layout is worked out once
 * (cached per `Btf`); `root` names the value in messages (`value.slots[3]: …`). Accepted values:
 * - integers: a number or bigint, whatever the width, that is an integer in the type's range
 *   (`4294967296 is out of range for __u32 (0..4294967295)`); pointers likewise, 0..2^64-1
 * - `_Bool` (and BOOL-encoded integers): `true`/`false`, or 0 and 1
 * - enums: an enumerator name, or a number/bigint in the range of the enum's size and sign
 * - `float`/`double`/`_Float16`: a number, rounded to the type (a finite number that
 *   overflows it is refused; NaN and ±Infinity are kept)
 * - `char[N]`: a string, stored as UTF-8 plus a NUL, so at most N - 1 bytes and no NUL inside;
 *   or a `Uint8Array` of at most N raw bytes
 * - other arrays: an array or typed array of at most N elements; missing trailing elements
 *   (and holes) are zero, more than N is refused
 * - structs: an object; missing (or `undefined`) members are zero, unknown names are refused
 *   with the known ones listed; anonymous struct/union members are given flattened, as the
 *   decoder returns them
 * - unions: at most one alternative per union (for an anonymous union: one of its members,
 *   or members of one anonymous struct inside it)
 * - bitfields: like their integer, bool or enum type, range-checked against the bit width
 *   (signed or unsigned) and merged into the bytes they share with other members; an
 *   enumerator name is truncated to the width as a C assignment would
 * - DATASEC: an object of its variables by name
 */
export function buildEncoder(btf: Btf, typeId: number, root = "value"): Encoder {
  let perBtf = cache.get(btf);
  if (!perBtf) cache.set(btf, perBtf = new Map());
  let write = perBtf.get(typeId);
  if (!write) {
    write = new WriterBuilder(btf).value(typeId, describe(btf, typeId));
    perBtf.set(typeId, write);
  }
  const w = write;
  const size = btf.sizeOf(typeId);
  return (value, into, offset = 0) => {
    let bytes: Uint8Array;
    if (into) {
      if (offset !== offset >>> 0 || offset + size > into.length) {
        throw new EncodeError(
          `${root}: needs ${size} bytes at offset ${offset}, the buffer has ${into.length}`,
        );
      }
      into.fill(0, offset, offset + size);
      bytes = into;
    } else {
      bytes = new Uint8Array(size);
    }
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    try {
      w(value, view, bytes, offset);
    } catch (e) {
      if (e instanceof FieldProblem) throw new EncodeError(e.message(root));
      throw e;
    }
    return bytes;
  };
}

function describe(btf: Btf, typeId: number): string {
  try {
    return typeName(btf, typeId);
  } catch {
    return `type id ${typeId}`;
  }
}
