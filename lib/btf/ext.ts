import { readCString } from "../elf/reader.ts";
import { BtfError } from "./errors.ts";
import { BTF_MAGIC } from "./parse.ts";

/** Kinds of CO-RE relocation (`enum bpf_core_relo_kind`). */
export enum CoreReloKind {
  FIELD_BYTE_OFFSET = 0,
  FIELD_BYTE_SIZE = 1,
  FIELD_EXISTS = 2,
  FIELD_SIGNED = 3,
  FIELD_LSHIFT_U64 = 4,
  FIELD_RSHIFT_U64 = 5,
  TYPE_ID_LOCAL = 6,
  TYPE_ID_TARGET = 7,
  TYPE_EXISTS = 8,
  TYPE_SIZE = 9,
  ENUMVAL_EXISTS = 10,
  ENUMVAL_VALUE = 11,
  TYPE_MATCHES = 12,
}

/** One `struct bpf_core_relo` record of `.BTF.ext`. */
export interface CoreRelo {
  /** The program section the instruction is in (e.g. `tp/syscalls/sys_enter_openat`). */
  section: string;
  /** Byte offset of the instruction inside the section. */
  insnOff: number;
  /** The local (object BTF) type the access starts from. */
  typeId: number;
  /** Access string, e.g. `0:1:2` (root array index, then member/element indices). */
  access: string;
  /** What the relocation computes. */
  kind: CoreReloKind;
}

const HEADER_MIN = 24;
const CORE_RELO_SIZE = 16;

/**
 * Reads the CO-RE relocation records of a `.BTF.ext` section. Names (section names, access
 * strings) live in the object's `.BTF` string table, passed as `strings`. Objects built
 * without CO-RE (or by an old clang whose header has no core_relo part) give `[]`.
 */
export function parseCoreRelos(ext: Uint8Array, strings: Uint8Array): CoreRelo[] {
  if (ext.length < HEADER_MIN) {
    throw new BtfError(`truncated .BTF.ext header (${ext.length} bytes)`);
  }
  const view = new DataView(ext.buffer, ext.byteOffset, ext.byteLength);
  const magic = view.getUint16(0, true);
  if (magic !== BTF_MAGIC) throw new BtfError(`bad .BTF.ext magic 0x${magic.toString(16)}`);
  const hdrLen = view.getUint32(4, true);
  if (hdrLen < 32) return [];
  const off = hdrLen + view.getUint32(24, true);
  const len = view.getUint32(28, true);
  if (len === 0) return [];
  if (off + len > ext.length) throw new BtfError(".BTF.ext core_relo part is truncated");
  const str = (o: number) => {
    if (o >= strings.length) throw new BtfError(`.BTF.ext string offset ${o} is out of range`);
    return readCString(strings, o);
  };
  const recSize = view.getUint32(off, true);
  if (recSize < CORE_RELO_SIZE) throw new BtfError(`.BTF.ext core_relo record size ${recSize}`);
  const out: CoreRelo[] = [];
  const end = off + len;
  for (let p = off + 4; p < end;) {
    if (p + 8 > end) throw new BtfError(".BTF.ext core_relo section header is truncated");
    const section = str(view.getUint32(p, true));
    const n = view.getUint32(p + 4, true);
    p += 8;
    if (p + n * recSize > end) {
      throw new BtfError(`.BTF.ext core_relo records of ${section} are truncated`);
    }
    for (let i = 0; i < n; i++, p += recSize) {
      out.push({
        section,
        insnOff: view.getUint32(p, true),
        typeId: view.getUint32(p + 4, true),
        access: str(view.getUint32(p + 8, true)),
        kind: view.getUint32(p + 12, true),
      });
    }
  }
  return out;
}
