import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import {
  type ElfSymbol,
  parseElf,
  readCString,
  readSymbolTable,
  type Section,
  SHF,
  SHT,
  STT,
} from "../elf/mod.ts";

/** A function symbol of an ELF file: its address as linked, and its size. */
interface FunctionSymbol {
  value: number;
  size: number;
  name: string;
}

/**
 * The function symbols of one ELF executable or shared object (`.symtab` and `.dynsym`, or a
 * separate debug file's `.symtab` found by build-id or debuglink when the file is stripped),
 * with the file-offset → address translation of its loaded sections.
 */
export class ElfSymbols {
  /** The file these symbols came from. */
  readonly path: string;
  /** The GNU build-id (hex), when the file has one. */
  readonly buildId?: string;
  /** The `.gnu_debuglink` file name, when the file has one. */
  readonly debugLink?: string;
  /** The separate debug file whose symbols were used, if any. */
  readonly debugFile?: string;
  #funcs: FunctionSymbol[];
  #loaded: { offset: number; size: number; addr: number }[];

  private constructor(path: string, bytes: Uint8Array) {
    this.path = path;
    const elf = parseElf(bytes);
    this.buildId = buildIdOf(elf.sections);
    this.debugLink = debugLinkOf(elf.sections);
    this.#loaded = elf.sections
      .filter((s) => s.flags & SHF.ALLOC && s.type !== SHT.NOBITS && s.size > 0)
      .map((s) => ({ offset: s.offset, size: s.size, addr: s.addr }));
    let syms = [...elf.symbols, ...readSymbolTable(elf.sections, SHT.DYNSYM)];
    if (!elf.symbols.length) {
      const debug = this.#debugFileCandidates().find((p) => existsSync(p));
      if (debug) {
        try {
          syms = [...syms, ...parseElf(readFileSync(debug)).symbols];
          this.debugFile = debug;
        } catch { /* an unreadable debug file: keep the dynamic symbols */ }
      }
    }
    this.#funcs = functionSymbols(syms);
  }

  /** Reads and indexes `path` (throws the file system's or the ELF reader's error). */
  static read(path: string): ElfSymbols {
    return new ElfSymbols(path, readFileSync(path));
  }

  #debugFileCandidates(): string[] {
    const out: string[] = [];
    if (this.buildId && this.buildId.length > 2) {
      out.push(
        `/usr/lib/debug/.build-id/${this.buildId.slice(0, 2)}/${this.buildId.slice(2)}.debug`,
      );
    }
    if (this.debugLink) {
      const dir = dirname(this.path);
      out.push(join(dir, this.debugLink), join(dir, ".debug", this.debugLink));
      out.push(join("/usr/lib/debug", dir, this.debugLink));
    }
    return out;
  }

  /** How many function symbols there are. */
  get size(): number {
    return this.#funcs.length;
  }

  /** The linked address of a file offset (undefined when no loaded section holds it). */
  addressOf(fileOffset: number): number | undefined {
    for (const s of this.#loaded) {
      if (fileOffset >= s.offset && fileOffset < s.offset + s.size) {
        return s.addr + (fileOffset - s.offset);
      }
    }
    return undefined;
  }

  /** The function containing a linked address, with the offset into it. */
  symbolAt(addr: number): { name: string; offset: number } | undefined {
    const f = this.#funcs;
    let lo = 0, hi = f.length - 1, hit = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (f[mid].value <= addr) {
        hit = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    if (hit < 0) return undefined;
    const s = f[hit];
    // A sized symbol covers only its bytes; an unsized one reaches the next symbol.
    if (s.size && addr >= s.value + s.size) return undefined;
    return { name: s.name, offset: addr - s.value };
  }

  /** True when a function (or any defined symbol) of that name exists. */
  hasSymbol(name: string): boolean {
    return this.#funcs.some((f) => f.name === name);
  }
}

function functionSymbols(syms: ElfSymbol[]): FunctionSymbol[] {
  const byValue = new Map<number, FunctionSymbol>();
  for (const s of syms) {
    if (s.type !== STT.FUNC && s.type !== STT.GNU_IFUNC) continue;
    if (!s.value || !s.name || s.shndx === 0) continue;
    const name = s.name.replace(/@.*$/, ""); // versioned dynamic names: memcpy@@GLIBC_2.14
    const known = byValue.get(s.value);
    // Aliases share an address: keep the global-looking name (no leading underscore) if any.
    if (!known || (known.name.startsWith("_") && !name.startsWith("_"))) {
      byValue.set(s.value, { value: s.value, size: s.size, name });
    }
  }
  return [...byValue.values()].sort((a, b) => a.value - b.value);
}

/** The build-id note's descriptor as hex. */
function buildIdOf(sections: Section[]): string | undefined {
  const s = sections.find((x) => x.name === ".note.gnu.build-id" && x.type === SHT.NOTE);
  if (!s || s.data.length < 16) return undefined;
  const v = new DataView(s.data.buffer, s.data.byteOffset, s.data.byteLength);
  const namesz = v.getUint32(0, true), descsz = v.getUint32(4, true);
  const start = 12 + ((namesz + 3) & ~3);
  const desc = s.data.subarray(start, start + descsz);
  return [...desc].map((b) => b.toString(16).padStart(2, "0")).join("");
}

function debugLinkOf(sections: Section[]): string | undefined {
  const s = sections.find((x) => x.name === ".gnu_debuglink");
  return s ? readCString(s.data, 0) || undefined : undefined;
}

/** One USDT probe of an ELF file (`.note.stapsdt`). */
export interface UsdtProbe {
  /** The provider. */
  provider: string;
  /** The probe name. */
  name: string;
  /** The argument spec (`-4@%edi 8@%rsi`). */
  args: string;
}

/** The USDT probes an ELF file declares (empty when it has no `.note.stapsdt`). */
export function usdtProbes(bytes: Uint8Array): UsdtProbe[] {
  const elf = parseElf(bytes);
  const out: UsdtProbe[] = [];
  for (const s of elf.sections) {
    if (s.name !== ".note.stapsdt" || s.type !== SHT.NOTE) continue;
    const d = s.data;
    const v = new DataView(d.buffer, d.byteOffset, d.byteLength);
    for (let o = 0; o + 12 <= d.length;) {
      const namesz = v.getUint32(o, true), descsz = v.getUint32(o + 4, true);
      const type = v.getUint32(o + 8, true);
      const desc = o + 12 + ((namesz + 3) & ~3);
      if (type === 3 && readCString(d, o + 12) === "stapsdt") {
        // Three addresses (pc, base, semaphore), then provider, name and args strings.
        let p = desc + 24;
        const provider = readCString(d, p);
        p += provider.length + 1;
        const name = readCString(d, p);
        p += name.length + 1;
        out.push({ provider, name, args: readCString(d, p) });
      }
      o = desc + ((descsz + 3) & ~3);
    }
  }
  return out;
}
