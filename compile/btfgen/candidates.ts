import {
  type ArrayType,
  type Btf,
  type BtfType,
  isComposite,
  isEnum,
  Kind,
} from "../../lib/btf/mod.ts";

/**
 * A CO-RE name without its flavour: `task_struct___v510` → `task_struct`. As libbpf's
 * `bpf_core_essential_name_len`, the last `X___Y` separator (X and Y not underscores) counts.
 */
export function essentialName(name: string): string {
  for (let i = name.length - 5; i >= 0; i--) {
    if (name[i] !== "_" && name.startsWith("___", i + 1) && name[i + 4] !== "_") {
      return name.slice(0, i + 1);
    }
  }
  return name;
}

/** Kinds CO-RE treats as the same: equal kinds, or ENUM against ENUM64. */
export function kindsCompatible(a: BtfType, b: BtfType): boolean {
  return a.kind === b.kind || (isEnum(a) && isEnum(b));
}

/**
 * Target types a local type may relocate against: same kind (enum ≈ enum64) and the same
 * essential name, in target id order (libbpf tries them in that order, the first match wins).
 * Built once per target BTF, looked up by essential name.
 */
export class CandidateIndex {
  #byName = new Map<string, number[]>();
  readonly target: Btf;

  /** Indexes every named type of `target` by essential name. */
  constructor(target: Btf) {
    this.target = target;
    for (const t of target.types) {
      if (!t.name) continue;
      const key = essentialName(t.name);
      const list = this.#byName.get(key);
      if (list) list.push(t.id);
      else this.#byName.set(key, [t.id]);
    }
  }

  /** Candidate target ids for local type `local` (none for anonymous types). */
  candidates(local: BtfType): number[] {
    if (!local.name) return [];
    const ids = this.#byName.get(essentialName(local.name)) ?? [];
    return ids.filter((id) => kindsCompatible(local, this.target.types[id]));
  }
}

/** libbpf's `bpf_core_fields_are_compat`: may a local member's type relocate to the target's? */
export function fieldsCompatible(
  local: Btf,
  localId: number,
  target: Btf,
  targetId: number,
): boolean {
  let l = local.resolve(localId);
  let t = target.resolve(targetId);
  for (let depth = 0; depth < 32; depth++) {
    if (isComposite(l) && isComposite(t)) return true;
    if (!kindsCompatible(l, t)) return false;
    switch (l.kind) {
      case Kind.PTR:
      case Kind.FLOAT:
        return true;
      case Kind.FWD:
      case Kind.ENUM:
      case Kind.ENUM64: {
        const a = essentialName(l.name);
        const b = essentialName(t.name);
        return !a || !b || a === b;
      }
      case Kind.INT:
        return l.offset === 0 && (t as typeof l).offset === 0;
      case Kind.ARRAY: {
        const elem = (t as ArrayType).type;
        l = local.resolve(l.type);
        t = target.resolve(elem);
        continue;
      }
      default:
        return false;
    }
  }
  return false;
}

/** libbpf's `bpf_core_types_are_compat` (type-based relocations). */
export function typesCompatible(
  local: Btf,
  localId: number,
  target: Btf,
  targetId: number,
  depth = 0,
): boolean {
  if (depth > 32) return false;
  const l = local.resolve(localId);
  const t = target.resolve(targetId);
  if (!kindsCompatible(l, t)) return false;
  switch (l.kind) {
    case Kind.VOID:
    case Kind.STRUCT:
    case Kind.UNION:
    case Kind.ENUM:
    case Kind.ENUM64:
    case Kind.FWD:
    case Kind.FLOAT:
      return true;
    case Kind.INT:
      return l.offset === 0 && (t as typeof l).offset === 0;
    case Kind.PTR:
      return typesCompatible(local, l.type, target, (t as typeof l).type, depth + 1);
    case Kind.ARRAY:
      return typesCompatible(local, l.type, target, (t as typeof l).type, depth + 1);
    case Kind.FUNC_PROTO: {
      const tp = t as typeof l;
      if (l.params.length !== tp.params.length) return false;
      return l.params.every((p, i) =>
        typesCompatible(local, p.type, target, tp.params[i].type, depth + 1)
      ) &&
        typesCompatible(local, l.type, target, tp.type, depth + 1);
    }
    default:
      return false;
  }
}
