import { ElfError } from "./errors.ts";
import { parseElf, type Section } from "./reader.ts";
import { SHT } from "./constants.ts";

/** `SHT_LLVM_ADDRSIG`: a ULEB128 list of symbol indices, rewritten when symbols move. */
const SHT_LLVM_ADDRSIG = 0x6fff4c03;
const SYM_SIZE = 24;

function isDebug(name: string): boolean {
  return name.startsWith(".debug") || name.startsWith(".zdebug");
}

function readUleb(data: Uint8Array): number[] {
  const out: number[] = [];
  let value = 0;
  let shift = 0;
  for (const b of data) {
    value += (b & 0x7f) * 2 ** shift;
    shift += 7;
    if (!(b & 0x80)) {
      out.push(value);
      value = 0;
      shift = 0;
    }
  }
  return out;
}

function writeUleb(values: number[]): Uint8Array {
  const out: number[] = [];
  for (let v of values) {
    do {
      let b = v & 0x7f;
      v = Math.floor(v / 128);
      if (v) b |= 0x80;
      out.push(b);
    } while (v);
  }
  return Uint8Array.from(out);
}

/**
 * Removes DWARF from a relocatable ELF64 object, as `llvm-strip -g` does: `.debug*` sections,
 * the relocations that target them and the symbols defined in them go; `.BTF`/`.BTF.ext` stay.
 * Symbol indices in the remaining relocations and in `.llvm_addrsig` are renumbered. Saves a
 * process start per compile and the llvm package on machines that only have clang.
 */
export function stripDebug(bytes: Uint8Array): Uint8Array {
  const elf = parseElf(bytes);
  const removed = new Set<number>();
  for (const s of elf.sections) if (isDebug(s.name)) removed.add(s.index);
  for (const s of elf.sections) {
    if ((s.type === SHT.REL || s.type === SHT.RELA) && removed.has(s.info)) removed.add(s.index);
  }
  if (!removed.size) return bytes;

  const kept = elf.sections.filter((s) => !removed.has(s.index));
  const newIndex = new Map(kept.map((s, i) => [s.index, i]));
  const symtab = elf.sections.find((s) => s.type === SHT.SYMTAB);
  const symMap = new Map<number, number>();
  let symData: Uint8Array | undefined;
  let firstGlobal = 0;
  if (symtab) {
    const keptSyms = elf.symbols.filter((sym) => !removed.has(sym.shndx));
    symData = new Uint8Array(keptSyms.length * SYM_SIZE);
    const view = new DataView(symData.buffer);
    keptSyms.forEach((sym, i) => {
      symMap.set(sym.index, i);
      symData!.set(
        symtab.data.subarray(sym.index * SYM_SIZE, (sym.index + 1) * SYM_SIZE),
        i * SYM_SIZE,
      );
      // Special indices (UNDEF 0, ABS/COMMON ≥ 0xff00) keep their meaning.
      if (sym.shndx > 0 && sym.shndx < 0xff00) {
        view.setUint16(i * SYM_SIZE + 6, newIndex.get(sym.shndx)!, true);
      }
      if (sym.bind === 0) firstGlobal = i + 1;
    });
  }

  const contents = (s: Section): Uint8Array => {
    if (s === symtab) return symData!;
    if (s.type === SHT.REL || s.type === SHT.RELA) {
      const out = s.data.slice();
      const view = new DataView(out.buffer);
      const entsize = s.type === SHT.REL ? 16 : 24;
      for (let o = 0; o + entsize <= out.length; o += entsize) {
        const info = view.getBigUint64(o + 8, true);
        const sym = Number(info >> 32n);
        const mapped = symMap.get(sym);
        if (mapped === undefined) {
          throw new ElfError(`section ${s.name} relocates against removed symbol ${sym}`);
        }
        view.setBigUint64(o + 8, (BigInt(mapped) << 32n) | (info & 0xffffffffn), true);
      }
      return out;
    }
    if (s.type === SHT_LLVM_ADDRSIG) {
      return writeUleb(readUleb(s.data).flatMap((i) => symMap.has(i) ? [symMap.get(i)!] : []));
    }
    return s.data;
  };

  // Lay out: ELF header, section contents (aligned), then the section header table.
  const src = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const shoff = Number(src.getBigUint64(40, true));
  const shstrndx = src.getUint16(62, true);
  const bodies = kept.map(contents);
  let offset = 64;
  const offsets = kept.map((s, i) => {
    if (s.type === SHT.NULL || s.type === SHT.NOBITS) return s.type === SHT.NULL ? 0 : offset;
    const align = Math.max(1, s.addralign);
    offset = Math.ceil(offset / align) * align;
    const at = offset;
    offset += bodies[i].length;
    return at;
  });
  const tableOff = Math.ceil(offset / 8) * 8;
  const out = new Uint8Array(tableOff + kept.length * 64);
  out.set(bytes.subarray(0, 64));
  const dst = new DataView(out.buffer);
  dst.setBigUint64(40, BigInt(tableOff), true);
  dst.setUint16(60, kept.length, true);
  dst.setUint16(62, newIndex.get(shstrndx) ?? 0, true);
  kept.forEach((s, i) => {
    if (s.type !== SHT.NOBITS && s.type !== SHT.NULL) out.set(bodies[i], offsets[i]);
    const h = tableOff + i * 64;
    out.set(bytes.subarray(shoff + s.index * 64, shoff + s.index * 64 + 64), h);
    dst.setBigUint64(h + 24, BigInt(offsets[i]), true);
    if (s.type !== SHT.NOBITS) dst.setBigUint64(h + 32, BigInt(bodies[i].length), true);
    const linksSection = s.type === SHT.SYMTAB || s.type === SHT.REL || s.type === SHT.RELA ||
      s.type === SHT_LLVM_ADDRSIG;
    if (linksSection) dst.setUint32(h + 40, newIndex.get(s.link) ?? 0, true);
    if (s.type === SHT.REL || s.type === SHT.RELA) {
      dst.setUint32(h + 44, newIndex.get(s.info)!, true);
    }
    if (s === symtab) dst.setUint32(h + 44, firstGlobal, true);
  });
  return out;
}
