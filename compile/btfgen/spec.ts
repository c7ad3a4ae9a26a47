import {
  type Btf,
  BtfError,
  type CoreRelo,
  CoreReloKind,
  isComposite,
  isEnum,
  Kind,
} from "../../lib/btf/mod.ts";
import {
  type CandidateIndex,
  essentialName,
  fieldsCompatible,
  typesCompatible,
} from "./candidates.ts";

/** What a relocation resolved to in the target BTF (libbpf's target `bpf_core_spec`). */
export interface TargetSpec {
  /** Field, type or enumerator relocation. */
  family: "field" | "type" | "enumval" | "match";
  /** The matched candidate type id. */
  rootId: number;
  /**
   * Field relocations: the raw access path in the target (root array index, then member
   * indices, anonymous members included, and array indices). Enum relocations: the enumerator.
   */
  raw: number[];
}

/** One step of a local access string, as libbpf's `bpf_core_parse_spec` records it. */
type Accessor =
  | { array: true; idx: number }
  | { array: false; name: string; type: number };

/** The relocation family of a kind (`core_relo_is_*_based`). */
export function reloFamily(kind: CoreReloKind): TargetSpec["family"] | "local" {
  if (kind <= CoreReloKind.FIELD_RSHIFT_U64) return "field";
  if (kind === CoreReloKind.TYPE_ID_LOCAL) return "local";
  if (kind === CoreReloKind.ENUMVAL_EXISTS || kind === CoreReloKind.ENUMVAL_VALUE) return "enumval";
  if (kind === CoreReloKind.TYPE_MATCHES) return "match";
  return "type";
}

function rawAccess(relo: CoreRelo): number[] {
  const raw = relo.access.split(":").map(Number);
  if (!relo.access || raw.some((n) => !Number.isInteger(n) || n < 0)) {
    throw new BtfError(
      `CO-RE relocation at ${relo.section}+${relo.insnOff}: bad access string '${relo.access}'`,
    );
  }
  return raw;
}

/** The named accesses of a field relocation's local spec (anonymous members are not named). */
function localAccessors(local: Btf, relo: CoreRelo, raw: number[]): Accessor[] {
  const where = () => `CO-RE relocation at ${relo.section}+${relo.insnOff} (access ${relo.access})`;
  const out: Accessor[] = [{ array: true, idx: raw[0] }];
  let t = local.resolve(relo.typeId);
  for (const idx of raw.slice(1)) {
    if (isComposite(t)) {
      const m = t.members[idx];
      if (!m) throw new BtfError(`${where()}: member ${idx} is out of range`);
      if (m.name) out.push({ array: false, name: m.name, type: m.type });
      t = local.resolve(m.type);
    } else if (t.kind === Kind.ARRAY) {
      out.push({ array: true, idx });
      t = local.resolve(t.type);
    } else throw new BtfError(`${where()}: cannot index into ${Kind[t.kind]}`);
  }
  return out;
}

/**
 * libbpf's `bpf_core_match_member`: finds `acc`'s member by name in the target composite,
 * looking through anonymous members, and pushes the member indices taken onto `raw`.
 */
function matchMember(
  local: Btf,
  acc: Accessor & { array: false },
  target: Btf,
  targetId: number,
  raw: number[],
): number | undefined {
  const t = target.resolve(targetId);
  if (!isComposite(t)) return undefined;
  for (let i = 0; i < t.members.length; i++) {
    const m = t.members[i];
    raw.push(i);
    if (!m.name) {
      const found = matchMember(local, acc, target, m.type, raw);
      if (found !== undefined) return found;
    } else if (m.name === acc.name) {
      if (fieldsCompatible(local, acc.type, target, m.type)) return m.type;
      raw.pop();
      return undefined;
    }
    raw.pop();
  }
  return undefined;
}

function matchField(
  local: Btf,
  accs: Accessor[],
  target: Btf,
  candidate: number,
): number[] | undefined {
  const raw = [(accs[0] as { idx: number }).idx];
  let id = candidate;
  for (const acc of accs.slice(1)) {
    if (!acc.array) {
      const next = matchMember(local, acc, target, id, raw);
      if (next === undefined) return undefined;
      id = next;
    } else {
      const t = target.resolve(id);
      if (t.kind !== Kind.ARRAY) return undefined;
      if (t.nelems !== 0 && acc.idx >= t.nelems) return undefined;
      raw.push(acc.idx);
      id = t.type;
    }
  }
  return raw;
}

/**
 * Resolves one CO-RE relocation against the target BTF as libbpf would at load time: the
 * first candidate (same essential name and kind) whose layout matches wins. Returns
 * undefined when nothing matches (libbpf then poisons the instruction) and for
 * `TYPE_ID_LOCAL`, which needs no target.
 */
export function resolveRelo(
  local: Btf,
  relo: CoreRelo,
  index: CandidateIndex,
): TargetSpec | undefined {
  const family = reloFamily(relo.kind);
  if (family === "local") return undefined;
  const target = index.target;
  const raw = rawAccess(relo);
  const localType = local.type(relo.typeId);
  const cands = index.candidates(localType);
  if (family === "field") {
    const accs = localAccessors(local, relo, raw);
    for (const c of cands) {
      const path = matchField(local, accs, target, c);
      if (path) return { family, rootId: c, raw: path };
    }
    return undefined;
  }
  if (family === "enumval") {
    const e = local.resolve(relo.typeId);
    if (!isEnum(e) || raw.length !== 1 || !e.values[raw[0]]) {
      throw new BtfError(
        `CO-RE relocation at ${relo.section}+${relo.insnOff}: bad enumerator access '${relo.access}'`,
      );
    }
    const want = essentialName(e.values[raw[0]].name);
    for (const c of cands) {
      const t = target.resolve(c);
      if (!isEnum(t)) continue;
      const i = t.values.findIndex((v) => v.name && essentialName(v.name) === want);
      if (i >= 0) return { family, rootId: c, raw: [i] };
    }
    return undefined;
  }
  for (const c of cands) {
    if (typesCompatible(local, relo.typeId, target, c)) return { family, rootId: c, raw: [] };
  }
  return undefined;
}
