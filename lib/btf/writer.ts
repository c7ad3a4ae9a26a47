import { BTF_MAGIC } from "./parse.ts";
import { type BtfType, IntEncoding, Kind } from "./types.ts";

const encoder = new TextEncoder();

/** Collects NUL-terminated strings once each, in first-use order (offset 0 is ""). */
class StringTable {
  #bytes: number[] = [0];
  #offsets = new Map<string, number>([["", 0]]);

  /** The offset of `s`, adding it when new. */
  add(s: string): number {
    let off = this.#offsets.get(s);
    if (off === undefined) {
      off = this.#bytes.length;
      this.#bytes.push(...encoder.encode(s), 0);
      this.#offsets.set(s, off);
    }
    return off;
  }

  /** The table as bytes. */
  bytes(): Uint8Array {
    return Uint8Array.from(this.#bytes);
  }
}

/**
 * Serialises a type table (`types[0]` is void and not written; every other entry's id must be
 * its index) as a raw little-endian BTF blob, as `btf__raw_data` lays it out: header, types,
 * strings. The result parses back with `parseBtf` and loads with libbpf's `btf__parse`.
 */
export function writeBtf(types: readonly BtfType[]): Uint8Array {
  const strs = new StringTable();
  const words: number[] = [];
  const head = (name: string, kind: Kind, vlen: number, kflag: boolean, sizeOrType: number) =>
    words.push(
      strs.add(name),
      (((kflag ? 1 : 0) << 31) | (kind << 24) | vlen) >>> 0,
      sizeOrType >>> 0,
    );
  for (const t of types.slice(1)) {
    switch (t.kind) {
      case Kind.INT: {
        const enc = (t.signed ? IntEncoding.SIGNED : 0) | (t.char ? IntEncoding.CHAR : 0) |
          (t.bool ? IntEncoding.BOOL : 0);
        head(t.name, t.kind, 0, false, t.size);
        words.push(((enc << 24) | (t.offset << 16) | t.bits) >>> 0);
        break;
      }
      case Kind.PTR:
      case Kind.TYPEDEF:
      case Kind.VOLATILE:
      case Kind.CONST:
      case Kind.RESTRICT:
      case Kind.TYPE_TAG:
        head(t.name, t.kind, 0, false, t.type);
        break;
      case Kind.ARRAY:
        head(t.name, t.kind, 0, false, 0);
        words.push(t.type, t.indexType, t.nelems);
        break;
      case Kind.STRUCT:
      case Kind.UNION: {
        const kflag = t.members.some((m) => m.bitSize !== 0);
        head(t.name, t.kind, t.members.length, kflag, t.size);
        for (const m of t.members) {
          words.push(
            strs.add(m.name),
            m.type,
            (kflag ? (m.bitSize << 24) | m.bitOffset : m.bitOffset) >>> 0,
          );
        }
        break;
      }
      case Kind.ENUM:
        head(t.name, t.kind, t.values.length, t.signed, t.size);
        for (const v of t.values) words.push(strs.add(v.name), Number(v.value) >>> 0);
        break;
      case Kind.ENUM64:
        head(t.name, t.kind, t.values.length, t.signed, t.size);
        for (const v of t.values) {
          const u = BigInt.asUintN(64, BigInt(v.value));
          words.push(strs.add(v.name), Number(u & 0xffffffffn), Number(u >> 32n));
        }
        break;
      case Kind.FWD:
        head(t.name, t.kind, 0, t.union, 0);
        break;
      case Kind.FUNC:
        head(t.name, t.kind, t.linkage, false, t.type);
        break;
      case Kind.FUNC_PROTO:
        head(t.name, t.kind, t.params.length, false, t.type);
        for (const p of t.params) words.push(strs.add(p.name), p.type);
        break;
      case Kind.VAR:
        head(t.name, t.kind, 0, false, t.type);
        words.push(t.linkage);
        break;
      case Kind.DATASEC:
        head(t.name, t.kind, t.vars.length, false, t.size);
        for (const v of t.vars) words.push(v.type, v.offset, v.size);
        break;
      case Kind.FLOAT:
        head(t.name, t.kind, 0, false, t.size);
        break;
      case Kind.DECL_TAG:
        head(t.name, t.kind, 0, false, t.type);
        words.push(t.componentIdx >>> 0);
        break;
      case Kind.VOID:
        break;
    }
  }
  const strings = strs.bytes();
  const typeLen = words.length * 4;
  const out = new Uint8Array(24 + typeLen + strings.length);
  const v = new DataView(out.buffer);
  v.setUint16(0, BTF_MAGIC, true);
  v.setUint8(2, 1);
  v.setUint32(4, 24, true);
  v.setUint32(8, 0, true);
  v.setUint32(12, typeLen, true);
  v.setUint32(16, typeLen, true);
  v.setUint32(20, strings.length, true);
  words.forEach((w, i) => v.setUint32(24 + i * 4, w, true));
  out.set(strings, 24 + typeLen);
  return out;
}
