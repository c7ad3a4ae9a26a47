import { BtfError } from "./errors.ts";
import {
  type ArrayType,
  type BtfType,
  type CompositeType,
  type DatasecType,
  type EnumType,
  Kind,
  type Member,
  type VarType,
} from "./types.ts";

/** Kinds that only qualify another type. */
const MODIFIERS = new Set([Kind.VOLATILE, Kind.CONST, Kind.RESTRICT, Kind.TYPE_TAG]);

/** Size of a pointer on the BPF target (always 64-bit). */
export const POINTER_SIZE = 8;

/**
 * A parsed BTF type table: the single source of type truth for the compiler's metadata, the
 * loader's data-section layout and the event decoder.
 */
export class Btf {
  /** Types indexed by id; `types[0]` is void. */
  readonly types: BtfType[];
  /** The raw string section. */
  readonly strings: Uint8Array;
  #byName?: Map<string, number[]>;

  /** Wraps an already parsed type table (see `parseBtf`). */
  constructor(types: BtfType[], strings: Uint8Array) {
    this.types = types;
    this.strings = strings;
  }

  /** The type with id `id`; throws `BtfError` for an id outside the table. */
  type(id: number): BtfType {
    const t = this.types[id];
    if (!t) throw new BtfError(`type id ${id} is invalid (the table has ${this.types.length})`);
    return t;
  }

  /** Ids of every type named `name` (of any kind), in id order. */
  idsByName(name: string): number[] {
    if (!this.#byName) {
      const m = new Map<string, number[]>();
      for (const t of this.types) {
        if (!t.name) continue;
        const list = m.get(t.name);
        if (list) list.push(t.id);
        else m.set(t.name, [t.id]);
      }
      this.#byName = m;
    }
    return this.#byName.get(name) ?? [];
  }

  /** The first type named `name` of kind `kind`, or undefined. */
  find<K extends Kind>(name: string, kind: K): (BtfType & { kind: K }) | undefined {
    for (const id of this.idsByName(name)) {
      const t = this.types[id];
      if (t.kind === kind) return t as BtfType & { kind: K };
    }
    return undefined;
  }

  /** Every DATASEC type. */
  datasecs(): DatasecType[] {
    return this.types.filter((t): t is DatasecType => t.kind === Kind.DATASEC);
  }

  /** Follows const/volatile/restrict/type tags (not typedefs). */
  skipModifiers(id: number): BtfType {
    let t = this.type(id);
    while (MODIFIERS.has(t.kind)) t = this.type((t as { type: number }).type);
    return t;
  }

  /** Follows typedefs and qualifiers down to the type that defines the layout. */
  resolve(id: number): BtfType {
    let t = this.type(id);
    for (let depth = 0; t.kind === Kind.TYPEDEF || MODIFIERS.has(t.kind); depth++) {
      if (depth > 64) throw new BtfError(`type id ${id}: typedef/qualifier chain loops`);
      t = this.type((t as { type: number }).type);
    }
    return t;
  }

  /** Size in bytes of a type, as `sizeof` would give it. */
  sizeOf(id: number): number {
    const t = this.resolve(id);
    switch (t.kind) {
      case Kind.INT:
      case Kind.STRUCT:
      case Kind.UNION:
      case Kind.ENUM:
      case Kind.ENUM64:
      case Kind.DATASEC:
      case Kind.FLOAT:
        return t.size;
      case Kind.PTR:
        return POINTER_SIZE;
      case Kind.ARRAY:
        return t.nelems * this.sizeOf(t.type);
      case Kind.VAR:
        return this.sizeOf(t.type);
      default:
        throw new BtfError(`type id ${id} (${Kind[t.kind]}) has no size`);
    }
  }

  /** Alignment in bytes, following libbpf's `btf__align_of` (packed composites give 1). */
  alignOf(id: number): number {
    const t = this.resolve(id);
    switch (t.kind) {
      case Kind.INT:
      case Kind.ENUM:
      case Kind.ENUM64:
      case Kind.FLOAT:
        return Math.min(POINTER_SIZE, t.size);
      case Kind.PTR:
        return POINTER_SIZE;
      case Kind.ARRAY:
        return this.alignOf(t.type);
      case Kind.STRUCT:
      case Kind.UNION: {
        let max = 1;
        for (const m of t.members) {
          const a = this.alignOf(m.type);
          if (!m.bitSize && m.bitOffset % (8 * a) !== 0) return 1;
          max = Math.max(max, a);
        }
        return t.size % max === 0 ? max : 1;
      }
      default:
        throw new BtfError(`type id ${id} (${Kind[t.kind]}) has no alignment`);
    }
  }

  /** The resolved struct/union with id `id`, or a `BtfError` naming what it is instead. */
  composite(id: number): CompositeType {
    const t = this.resolve(id);
    if (t.kind !== Kind.STRUCT && t.kind !== Kind.UNION) {
      throw new BtfError(`type id ${id} is not a struct or union (${Kind[t.kind]})`);
    }
    return t;
  }

  /** Members of a struct/union with anonymous nested members flattened, offsets made absolute. */
  flatMembers(id: number, base = 0): Member[] {
    const out: Member[] = [];
    for (const m of this.composite(id).members) {
      const r = this.resolve(m.type);
      if (!m.name && (r.kind === Kind.STRUCT || r.kind === Kind.UNION)) {
        out.push(...this.flatMembers(r.id, base + m.bitOffset));
      } else out.push({ ...m, bitOffset: base + m.bitOffset });
    }
    return out;
  }
}

/** Narrowing helpers used where a specific kind is required. */
export function isComposite(t: BtfType): t is CompositeType {
  return t.kind === Kind.STRUCT || t.kind === Kind.UNION;
}

/** True for ENUM and ENUM64. */
export function isEnum(t: BtfType): t is EnumType {
  return t.kind === Kind.ENUM || t.kind === Kind.ENUM64;
}

/** True for ARRAY. */
export function isArray(t: BtfType): t is ArrayType {
  return t.kind === Kind.ARRAY;
}

/** True for VAR. */
export function isVar(t: BtfType): t is VarType {
  return t.kind === Kind.VAR;
}
