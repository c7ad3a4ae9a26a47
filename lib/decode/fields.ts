import { type Btf, Kind } from "../btf/mod.ts";
import { DecodeError } from "./errors.ts";

/** One top-level field of an exported value: what a table column or JSON key shows. */
export interface StructField {
  /** Member name; `""` for a non-struct value decoded as a single field. */
  name: string;
  /** BTF type id of the member. */
  type: number;
  /** Offset from the start of the value, in bits. */
  bitOffset: number;
  /** Bitfield width in bits, 0 for an ordinary member. */
  bitSize: number;
}

/**
 * The fields of type `typeId` in member order: a struct/union gives its members with anonymous
 * nested structs/unions flattened (offsets made absolute) and unnamed bitfield padding dropped;
 * any other type gives one field named `""`, as upstream's exporter does.
 */
export function structFields(btf: Btf, typeId: number): StructField[] {
  const t = btf.resolve(typeId);
  if (t.kind !== Kind.STRUCT && t.kind !== Kind.UNION) {
    return [{ name: "", type: typeId, bitOffset: 0, bitSize: 0 }];
  }
  return flatten(btf, t.id, 0, 0);
}

function flatten(btf: Btf, id: number, base: number, depth: number): StructField[] {
  if (depth > 32) throw new DecodeError(`type id ${id}: anonymous members nest too deep`);
  const out: StructField[] = [];
  for (const m of btf.composite(id).members) {
    if (m.name) {
      out.push({ name: m.name, type: m.type, bitOffset: base + m.bitOffset, bitSize: m.bitSize });
      continue;
    }
    const r = btf.resolve(m.type);
    if (r.kind === Kind.STRUCT || r.kind === Kind.UNION) {
      out.push(...flatten(btf, r.id, base + m.bitOffset, depth + 1));
    }
    // An unnamed non-composite member is bitfield padding (`int :3;`): nothing to show.
  }
  return out;
}
