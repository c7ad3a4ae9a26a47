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

/** Every type reference must point inside the table, so later walks never meet undefined. */
function validateReferences(btf: Btf): void {
  const n = btf.types.length;
  const check = (from: number, to: number) => {
    if (to >= n) throw new BtfError(`type id ${from} refers to missing type id ${to}`);
  };
  for (const t of btf.types) {
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
        check(t.id, t.type);
        break;
      case Kind.ARRAY:
        check(t.id, t.type);
        check(t.id, t.indexType);
        break;
      case Kind.STRUCT:
      case Kind.UNION:
        for (const m of t.members) check(t.id, m.type);
        break;
      case Kind.FUNC_PROTO:
        check(t.id, t.type);
        for (const q of t.params) check(t.id, q.type);
        break;
      case Kind.DATASEC:
        for (const v of t.vars) check(t.id, v.type);
        break;
    }
  }
}
