import { readCString } from "../elf/reader.ts";
import { Btf } from "./btf.ts";
import { BtfError } from "./errors.ts";
import { type BtfType, IntEncoding, Kind } from "./types.ts";

/** Magic number at the start of every BTF blob. */
export const BTF_MAGIC = 0xeb9f;

/**
 * Parses a raw BTF blob (a `.BTF` ELF section or `/sys/kernel/btf/vmlinux`) into a `Btf`.
 * Throws `BtfError` with the offending type id or offset for malformed input.
 */
export function parseBtf(bytes: Uint8Array): Btf {
  if (bytes.length < 24) throw new BtfError(`truncated BTF header (${bytes.length} bytes)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = view.getUint16(0, true);
  if (magic !== BTF_MAGIC) {
    const hint = magic === 0x9feb ? " (big-endian BTF is not supported)" : "";
    throw new BtfError(`bad BTF magic 0x${magic.toString(16)}${hint}`);
  }
  const hdrLen = view.getUint32(4, true);
  const typeOff = view.getUint32(8, true);
  const typeLen = view.getUint32(12, true);
  const strOff = view.getUint32(16, true);
  const strLen = view.getUint32(20, true);
  if (hdrLen < 24) throw new BtfError(`BTF header length ${hdrLen} is too small`);
  const typeStart = hdrLen + typeOff;
  const strStart = hdrLen + strOff;
  if (typeStart + typeLen > bytes.length || strStart + strLen > bytes.length) {
    throw new BtfError(
      `truncated BTF: sections need ${
        Math.max(typeStart + typeLen, strStart + strLen)
      } bytes, have ${bytes.length}`,
    );
  }
  const strings = bytes.subarray(strStart, strStart + strLen);
  const str = (off: number) => {
    if (off >= strings.length) throw new BtfError(`string offset ${off} is out of range`);
    return readCString(strings, off);
  };
  const types: BtfType[] = [{ id: 0, kind: Kind.VOID, name: "" }];
  let p = typeStart;
  const end = typeStart + typeLen;
  const need = (n: number, id: number) => {
    if (p + n > end) throw new BtfError(`type id ${id} is truncated`);
  };
  const u32 = () => {
    const v = view.getUint32(p, true);
    p += 4;
    return v;
  };
  while (p < end) {
    const id = types.length;
    need(12, id);
    const name = str(u32());
    const info = u32();
    const sizeOrType = u32();
    const vlen = info & 0xffff;
    const kind = (info >>> 24) & 0x1f;
    const kflag = (info >>> 31) === 1;
    switch (kind) {
      case Kind.INT: {
        need(4, id);
        const enc = u32();
        const encoding = (enc >>> 24) & 0xf;
        types.push({
          id,
          kind,
          name,
          size: sizeOrType,
          bits: enc & 0xff,
          offset: (enc >>> 16) & 0xff,
          signed: (encoding & IntEncoding.SIGNED) !== 0,
          char: (encoding & IntEncoding.CHAR) !== 0,
          bool: (encoding & IntEncoding.BOOL) !== 0,
        });
        break;
      }
      case Kind.PTR:
      case Kind.TYPEDEF:
      case Kind.VOLATILE:
      case Kind.CONST:
      case Kind.RESTRICT:
      case Kind.TYPE_TAG:
        types.push({ id, kind, name, type: sizeOrType });
        break;
      case Kind.ARRAY: {
        need(12, id);
        const type = u32();
        const indexType = u32();
        types.push({ id, kind, name, type, indexType, nelems: u32() });
        break;
      }
      case Kind.STRUCT:
      case Kind.UNION: {
        need(12 * vlen, id);
        const members = [];
        for (let i = 0; i < vlen; i++) {
          const mname = str(u32());
          const type = u32();
          const off = u32();
          members.push({
            name: mname,
            type,
            bitOffset: kflag ? off & 0xffffff : off,
            bitSize: kflag ? off >>> 24 : 0,
          });
        }
        types.push({ id, kind, name, size: sizeOrType, members });
        break;
      }
      case Kind.ENUM: {
        need(8 * vlen, id);
        const values = [];
        for (let i = 0; i < vlen; i++) {
          const ename = str(u32());
          const raw = view.getUint32(p, true);
          p += 4;
          values.push({ name: ename, value: kflag ? raw | 0 : raw });
        }
        types.push({ id, kind, name, size: sizeOrType, signed: kflag, values });
        break;
      }
      case Kind.ENUM64: {
        need(12 * vlen, id);
        const values = [];
        for (let i = 0; i < vlen; i++) {
          const ename = str(u32());
          const lo = BigInt(u32());
          const hi = BigInt(u32());
          let v = (hi << 32n) | lo;
          if (kflag) v = BigInt.asIntN(64, v);
          const small = v >= BigInt(Number.MIN_SAFE_INTEGER) &&
            v <= BigInt(Number.MAX_SAFE_INTEGER);
          values.push({ name: ename, value: small ? Number(v) : v });
        }
        types.push({ id, kind, name, size: sizeOrType, signed: kflag, values });
        break;
      }
      case Kind.FWD:
        types.push({ id, kind, name, union: kflag });
        break;
      case Kind.FUNC:
        types.push({ id, kind, name, type: sizeOrType, linkage: vlen });
        break;
      case Kind.FUNC_PROTO: {
        need(8 * vlen, id);
        const params = [];
        for (let i = 0; i < vlen; i++) params.push({ name: str(u32()), type: u32() });
        types.push({ id, kind, name, type: sizeOrType, params });
        break;
      }
      case Kind.VAR:
        need(4, id);
        types.push({ id, kind, name, type: sizeOrType, linkage: u32() });
        break;
      case Kind.DATASEC: {
        need(12 * vlen, id);
        const vars = [];
        for (let i = 0; i < vlen; i++) vars.push({ type: u32(), offset: u32(), size: u32() });
        types.push({ id, kind, name, size: sizeOrType, vars });
        break;
      }
      case Kind.FLOAT:
        types.push({ id, kind, name, size: sizeOrType });
        break;
      case Kind.DECL_TAG:
        need(4, id);
        types.push({
          id,
          kind,
          name,
          type: sizeOrType,
          componentIdx: view.getInt32((p += 4) - 4, true),
        });
        break;
      default:
        throw new BtfError(`type id ${id} has unknown kind ${kind}`);
    }
  }
  const btf = new Btf(types, strings);
  validateReferences(btf);
  return btf;
}

/** The ids a type refers to (members, elements, targets, parameters, variables). */
function typeRefs(t: BtfType): number[] {
  switch (t.kind) {
    case Kind.PTR:
    case Kind.TYPEDEF:
    case Kind.VOLATILE:
    case Kind.CONST:
    case Kind.RESTRICT:
    case Kind.TYPE_TAG:
    case Kind.FUNC:
    case Kind.VAR:
    case Kind.DECL_TAG:
      return [t.type];
    case Kind.ARRAY:
      return [t.type, t.indexType];
    case Kind.STRUCT:
    case Kind.UNION:
      return t.members.map((m) => m.type);
    case Kind.FUNC_PROTO:
      return [t.type, ...t.params.map((q) => q.type)];
    case Kind.DATASEC:
      return t.vars.map((v) => v.type);
    default:
      return [];
  }
}

/** Every type reference must point inside the table, so later walks never meet undefined. */
function validateReferences(btf: Btf): void {
  const n = btf.types.length;
  for (const t of btf.types) {
    for (const to of typeRefs(t)) {
      if (to >= n) throw new BtfError(`type id ${t.id} refers to missing type id ${to}`);
    }
  }
  // C types loop only through a pointer to a named struct or union (`struct a { struct a *p; }`).
  // Any other loop would send sizes, names and decoders round it forever.
  findLoop(btf, (t) => t.kind === Kind.PTR, "contains itself (a loop with no pointer)");
  findLoop(
    btf,
    (t) => (t.kind === Kind.STRUCT || t.kind === Kind.UNION) && t.name !== "",
    "refers to itself without a named struct or union in between",
  );
}

/** Throws when the type graph, cut after every type `cut` accepts, still has a cycle. */
function findLoop(btf: Btf, cut: (t: BtfType) => boolean, what: string): void {
  const types = btf.types;
  // 0 = unseen, 1 = on the current path, 2 = done. Iterative: vmlinux chains are deep.
  const state = new Uint8Array(types.length);
  const stack: [number, number[], number][] = [];
  for (const root of types) {
    if (state[root.id]) continue;
    state[root.id] = 1;
    stack.push([root.id, cut(root) ? [] : typeRefs(root), 0]);
    while (stack.length) {
      const top = stack[stack.length - 1];
      const [id, refs, i] = top;
      if (i === refs.length) {
        state[id] = 2;
        stack.pop();
        continue;
      }
      top[2]++;
      const to = refs[i];
      if (state[to] === 1) throw new BtfError(`type id ${to} ${what}`);
      if (state[to] === 0) {
        state[to] = 1;
        stack.push([to, cut(types[to]) ? [] : typeRefs(types[to]), 0]);
      }
    }
  }
}
