import {
  type Btf,
  BtfError,
  type BtfType,
  type CoreRelo,
  CoreReloKind,
  isComposite,
  Kind,
  parseBtf,
  parseCoreRelos,
  readBpfObject,
  writeBtf,
} from "../../lib/btf/mod.ts";
import { CandidateIndex } from "./candidates.ts";
import { resolveRelo, type TargetSpec } from "./spec.ts";

/**
 * The target types (and, for structs and unions, the members) the relocations touch: what
 * bpftool's `btfgen` marks on its clone of the kernel BTF.
 */
export class UsedTypes {
  /** Marked type ids of the target. */
  readonly types = new Set<number>();
  /** Marked member indices, by composite type id. */
  readonly members = new Map<number, Set<number>>();

  constructor(readonly target: Btf) {}

  /** Marks a type and what it needs; pointers are followed only for type relocations. */
  markType(id: number, followPointers: boolean): void {
    if (id === 0 || this.types.has(id)) return;
    this.types.add(id);
    const t = this.target.type(id);
    switch (t.kind) {
      case Kind.PTR:
        if (followPointers) this.markType(t.type, true);
        break;
      case Kind.CONST:
      case Kind.VOLATILE:
      case Kind.RESTRICT:
      case Kind.TYPEDEF:
      case Kind.TYPE_TAG:
        this.markType(t.type, followPointers);
        break;
      case Kind.ARRAY:
        this.markType(t.type, followPointers);
        this.markType(t.indexType, followPointers);
        break;
      case Kind.FUNC_PROTO:
        this.markType(t.type, followPointers);
        for (const p of t.params) this.markType(p.type, followPointers);
        break;
      default:
        // Ints, floats, enums (kept whole), forward declarations; structs keep only the
        // members marked one by one.
        break;
    }
  }

  /** Marks member `idx` of composite `id`. */
  markMember(id: number, idx: number): void {
    let set = this.members.get(id);
    if (!set) this.members.set(id, set = new Set());
    set.add(idx);
  }

  /** Field relocation: the root, then each member along the access path and its type. */
  markField(spec: TargetSpec): void {
    let id = spec.rootId;
    this.markType(id, false);
    for (const idx of spec.raw.slice(1)) {
      let t = this.target.type(id);
      while (t.kind !== Kind.STRUCT && t.kind !== Kind.UNION && t.kind !== Kind.ARRAY) {
        if (!("type" in t)) throw new BtfError(`type id ${id} (${Kind[t.kind]}) has no fields`);
        id = t.type;
        t = this.target.type(id);
      }
      if (t.kind === Kind.ARRAY) {
        id = t.type;
        continue;
      }
      this.markMember(id, idx);
      id = t.members[idx].type;
      this.markType(id, false);
    }
  }

  /** `TYPE_MATCHES`: members and their types recursively, composites behind pointers bare. */
  markMatch(id: number, behindPointer: boolean): void {
    if (id === 0 || this.types.has(id)) return;
    this.types.add(id);
    const t = this.target.type(id);
    if (isComposite(t)) {
      if (behindPointer) return;
      t.members.forEach((m, i) => {
        this.markMember(id, i);
        this.markMatch(m.type, false);
      });
    } else if (t.kind === Kind.PTR) this.markMatch(t.type, true);
    else if (t.kind === Kind.ARRAY) {
      this.markMatch(t.type, false);
      this.markMatch(t.indexType, false);
    } else if (t.kind === Kind.FUNC_PROTO) {
      this.markMatch(t.type, false);
      for (const p of t.params) this.markMatch(p.type, false);
    } else if ("type" in t) this.markMatch(t.type, behindPointer);
  }

  /** Records what one resolved relocation needs. */
  record(spec: TargetSpec): void {
    if (spec.family === "field") this.markField(spec);
    else if (spec.family === "match") this.markMatch(spec.rootId, false);
    else this.markType(spec.rootId, spec.family === "type");
  }

  /**
   * The marked types as a new table: ids renumbered in target order, composites with only
   * their marked members (original bit offsets kept), references to unmarked types made void.
   */
  toTypes(): BtfType[] {
    const kept = [...this.types].sort((a, b) => a - b);
    const ids = new Map<number, number>(kept.map((id, i) => [id, i + 1]));
    const map = (id: number) => ids.get(id) ?? 0;
    const out: BtfType[] = [{ id: 0, kind: Kind.VOID, name: "" }];
    for (const old of kept) {
      const t = this.target.type(old);
      const id = out.length;
      switch (t.kind) {
        case Kind.STRUCT:
        case Kind.UNION: {
          const marked = this.members.get(old) ?? new Set();
          const members = t.members.filter((_, i) => marked.has(i))
            .map((m) => ({ ...m, type: map(m.type) }));
          out.push({ ...t, id, members });
          break;
        }
        case Kind.ARRAY:
          out.push({ ...t, id, type: map(t.type), indexType: map(t.indexType) });
          break;
        case Kind.FUNC_PROTO:
          out.push({
            ...t,
            id,
            type: map(t.type),
            params: t.params.map((p) => ({ ...p, type: map(p.type) })),
          });
          break;
        case Kind.DATASEC:
          out.push({ ...t, id, vars: t.vars.map((v) => ({ ...v, type: map(v.type) })) });
          break;
        default:
          out.push("type" in t ? { ...t, id, type: map(t.type) } as BtfType : { ...t, id });
      }
    }
    return out;
  }
}

/** The CO-RE relocations of an object, with the object's own BTF they refer to. */
export interface ObjectRelocations {
  /** The object's `.BTF`. */
  btf: Btf;
  /** Its `.BTF.ext` core_relo records. */
  relos: CoreRelo[];
}

/** Reads a BPF object's CO-RE relocations (an object without `.BTF.ext` is an error). */
export function objectRelocations(object: Uint8Array): ObjectRelocations {
  const { elf, btf } = readBpfObject(object);
  const ext = elf.sections.find((s) => s.name === ".BTF.ext");
  if (!ext) throw new BtfError("the object has no .BTF.ext section (compile with clang -g)");
  return { btf, relos: parseCoreRelos(ext.data, btf.strings) };
}

/** Per-kernel result of tailoring. */
export interface TailoredBtf {
  /** The raw BTF blob. */
  bytes: Uint8Array;
  /** Relocations resolved against the target / total (TYPE_ID_LOCAL excluded). */
  resolved: number;
  /** Relocations that need the kernel's BTF. */
  total: number;
}

/**
 * `bpftool gen min_core_btf` in TypeScript: from a full kernel BTF, only the types, members
 * and enumerators that the objects' CO-RE relocations touch, as a raw BTF blob that libbpf
 * accepts as `btf_custom_path`. Several objects merge into one blob.
 */
export function tailorBtf(target: Btf | Uint8Array, objects: ObjectRelocations[]): TailoredBtf {
  const btf = target instanceof Uint8Array ? parseBtf(target) : target;
  const index = new CandidateIndex(btf);
  const used = new UsedTypes(btf);
  let resolved = 0;
  let total = 0;
  for (const obj of objects) {
    for (const relo of obj.relos) {
      const spec = resolveRelo(obj.btf, relo, index);
      if (relo.kind !== CoreReloKind.TYPE_ID_LOCAL) total++;
      if (!spec) continue;
      resolved++;
      used.record(spec);
    }
  }
  return { bytes: writeBtf(used.toTypes()), resolved, total };
}
