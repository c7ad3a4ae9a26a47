import { ElfError } from "./errors.ts";
import { SHT } from "./constants.ts";

/** One section header, with its name resolved and its bytes reachable through `data`. */
export interface Section {
  /** Index in the section header table. */
  index: number;
  /** Name from the section header string table. */
  name: string;
  /** `sh_type` (see `SHT`). */
  type: number;
  /** `sh_flags` as a number (BPF objects use only the low bits). */
  flags: number;
  /** `sh_addr`: the address in memory (0 for sections that are not loaded; exact below 2^53). */
  addr: number;
  /** File offset of the contents. */
  offset: number;
  /** Size in bytes (for `NOBITS` sections: the size in memory). */
  size: number;
  /** `sh_link`. */
  link: number;
  /** `sh_info`. */
  info: number;
  /** `sh_addralign`. */
  addralign: number;
  /** `sh_entsize`. */
  entsize: number;
  /** The section's file contents (empty for `NOBITS`). A view, not a copy. */
  data: Uint8Array;
}

/** One entry of the symbol table. */
export interface ElfSymbol {
  /** Index in `.symtab`. */
  index: number;
  /** Name from the linked string table. */
  name: string;
  /** `st_value`: for BPF objects, the offset inside the symbol's section. */
  value: number;
  /** `st_size`. */
  size: number;
  /** Symbol type (`STT`). */
  type: number;
  /** Symbol binding (`STB`). */
  bind: number;
  /** Visibility (`STV`). */
  visibility: number;
  /** Index of the section the symbol is defined in. */
  shndx: number;
}

/** A parsed ELF64 little-endian object. */
export interface ElfFile {
  /** `e_type` (1 = relocatable). */
  type: number;
  /** `e_machine` (247 for BPF). */
  machine: number;
  /** Every section, index 0 (the null section) included. */
  sections: Section[];
  /** The static symbol table (empty when the object has none). */
  symbols: ElfSymbol[];
}

const ELF_MAGIC = [0x7f, 0x45, 0x4c, 0x46];
const EHDR_SIZE = 64;
const SHDR_SIZE = 64;
const SYM_SIZE = 24;

const utf8 = new TextDecoder();

/** Reads a NUL-terminated string at `offset` of a string table. */
export function readCString(table: Uint8Array, offset: number): string {
  if (offset >= table.length) return "";
  let end = offset;
  while (end < table.length && table[end] !== 0) end++;
  return utf8.decode(table.subarray(offset, end));
}

function u64(view: DataView, offset: number, what: string): number {
  const v = view.getBigUint64(offset, true);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new ElfError(`${what} is out of range (${v})`);
  return Number(v);
}

/**
 * Parses an ELF64 little-endian file: header, section headers with names, and the symbol table.
 * Throws `ElfError` naming the first inconsistency for anything else.
 */
export function parseElf(bytes: Uint8Array): ElfFile {
  if (bytes.length < 16 || ELF_MAGIC.some((b, i) => bytes[i] !== b)) {
    throw new ElfError("not an ELF file (bad magic)");
  }
  if (bytes[4] !== 2) throw new ElfError("not a 64-bit ELF file");
  if (bytes[5] !== 1) throw new ElfError("not a little-endian ELF file");
  if (bytes.length < EHDR_SIZE) {
    throw new ElfError(`truncated ELF header (${bytes.length} of ${EHDR_SIZE} bytes)`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const type = view.getUint16(16, true);
  const machine = view.getUint16(18, true);
  const shoff = u64(view, 40, "section header offset");
  const shentsize = view.getUint16(58, true);
  let shnum = view.getUint16(60, true);
  let shstrndx = view.getUint16(62, true);
  if (shoff === 0) return { type, machine, sections: [], symbols: [] };
  if (shentsize !== SHDR_SIZE) throw new ElfError(`unexpected section header size ${shentsize}`);
  const header = (i: number) => shoff + i * SHDR_SIZE;
  if (header(1) > bytes.length) throw new ElfError("truncated section header table");
  // Extended numbering: counts that do not fit 16 bits live in section 0.
  if (shnum === 0) shnum = view.getUint32(header(0) + 32, true);
  if (shstrndx === 0xffff) shstrndx = view.getUint32(header(0) + 40, true);
  if (header(shnum) > bytes.length) {
    throw new ElfError(`truncated section header table (${shnum} sections at offset ${shoff})`);
  }
  const raw = [];
  for (let i = 0; i < shnum; i++) {
    const h = header(i);
    const shType = view.getUint32(h + 4, true);
    const offset = u64(view, h + 24, `section ${i} offset`);
    const size = u64(view, h + 32, `section ${i} size`);
    if (shType !== SHT.NOBITS && shType !== SHT.NULL && offset + size > bytes.length) {
      throw new ElfError(`section ${i} extends past the end of the file`);
    }
    raw.push({
      index: i,
      nameOff: view.getUint32(h, true),
      type: shType,
      flags: u64(view, h + 8, `section ${i} flags`),
      // Kernel images load above 2^53 (0xffffffff8…): not an offset into the file, so it is
      // kept as the nearest number rather than refused (user-space addresses stay exact).
      addr: Number(view.getBigUint64(h + 16, true)),
      offset,
      size,
      link: view.getUint32(h + 40, true),
      info: view.getUint32(h + 44, true),
      addralign: u64(view, h + 48, `section ${i} alignment`),
      entsize: u64(view, h + 56, `section ${i} entry size`),
      data: shType === SHT.NOBITS || shType === SHT.NULL
        ? new Uint8Array(0)
        : bytes.subarray(offset, offset + size),
    });
  }
  if (shstrndx >= raw.length) throw new ElfError(`bad section name table index ${shstrndx}`);
  const names = raw[shstrndx].data;
  const sections: Section[] = raw.map(({ nameOff, ...s }) => ({
    ...s,
    name: readCString(names, nameOff),
  }));
  return { type, machine, sections, symbols: readSymbols(sections) };
}

function readSymbols(sections: Section[]): ElfSymbol[] {
  return readSymbolTable(sections, SHT.SYMTAB);
}

/**
 * The symbols of the first section of type `tableType` (`SHT.SYMTAB`, or `SHT.DYNSYM` for
 * the dynamic symbols of a shared object); empty when there is none.
 */
export function readSymbolTable(sections: Section[], tableType: number): ElfSymbol[] {
  const symtab = sections.find((s) => s.type === tableType);
  if (!symtab) return [];
  if (symtab.link >= sections.length) throw new ElfError("symbol table links a missing section");
  const strtab = sections[symtab.link].data;
  const d = symtab.data;
  const view = new DataView(d.buffer, d.byteOffset, d.byteLength);
  const out: ElfSymbol[] = [];
  for (let i = 0; i * SYM_SIZE + SYM_SIZE <= d.length; i++) {
    const o = i * SYM_SIZE;
    const info = d[o + 4];
    out.push({
      index: i,
      name: readCString(strtab, view.getUint32(o, true)),
      type: info & 0xf,
      bind: info >> 4,
      visibility: d[o + 5] & 0x3,
      shndx: view.getUint16(o + 6, true),
      value: u64(view, o + 8, `symbol ${i} value`),
      size: u64(view, o + 16, `symbol ${i} size`),
    });
  }
  return out;
}

/** Finds a section by name, or `undefined`. */
export function findSection(elf: ElfFile, name: string): Section | undefined {
  return elf.sections.find((s) => s.name === name);
}
