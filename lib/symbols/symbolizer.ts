import { ElfSymbols } from "./elf_symbols.ts";
import type { Frame } from "./frame.ts";
import { KernelSymbols } from "./kallsyms.ts";
import { findMapping, type Mapping, readProcMaps } from "./proc_maps.ts";

/** Where the symbolizer reads from; the defaults read the running system. */
export interface SymbolSources {
  /** Kernel symbols (default: `/proc/kallsyms`, read on first use). */
  kernel?: () => KernelSymbols;
  /** A process's executable mappings (default: `/proc/PID/maps`). */
  maps?: (pid: number) => Mapping[];
  /** A mapped file's symbols (default: read the file through `/proc/PID/root`). */
  file?: (path: string, pid: number) => ElfSymbols;
}

/**
 * Resolves stack addresses to frames: kernel addresses against `/proc/kallsyms`, user
 * addresses through the process's mappings to the ELF symbols of the mapped file. Kernel
 * symbols, each process's mappings and each file's symbols are read once and cached (a file
 * once for every process that maps it); a process's mappings are read again when an address
 * falls outside them (it loaded a library since).
 */
export class Symbolizer {
  #kernel?: KernelSymbols;
  #maps = new Map<number, Mapping[]>();
  #files = new Map<string, ElfSymbols | null>();
  #src: Required<SymbolSources>;

  /** A symbolizer over `sources` (default: this machine). */
  constructor(sources: SymbolSources = {}) {
    this.#src = {
      kernel: sources.kernel ?? (() => KernelSymbols.load()),
      maps: sources.maps ?? readProcMaps,
      file: sources.file ?? ((path, pid) => {
        try {
          return ElfSymbols.read(`/proc/${pid}/root${path}`);
        } catch {
          return ElfSymbols.read(path);
        }
      }),
    };
  }

  /** Forgets every cached process mapping and file (the next lookups are cold again). */
  clear(): void {
    this.#kernel = undefined;
    this.#maps.clear();
    this.#files.clear();
  }

  /** The frame of a kernel address. */
  kernel(addr: bigint): Frame {
    this.#kernel ??= this.#src.kernel();
    return this.#kernel.resolve(addr);
  }

  /** The frame of a user address of process `pid`. */
  user(pid: number, addr: bigint): Frame {
    const a = Number(addr);
    let maps = this.#maps.get(pid);
    let m = maps && findMapping(maps, a);
    if (!m) {
      maps = this.#src.maps(pid);
      this.#maps.set(pid, maps);
      m = findMapping(maps, a);
    }
    if (!m) return { addr, sym: null, offset: 0, module: null };
    const fileOffset = a - m.start + m.offset;
    const file = m.path.startsWith("/") ? this.#file(m.path, pid) : null;
    const linked = file?.addressOf(fileOffset);
    const hit = linked === undefined ? undefined : file!.symbolAt(linked);
    if (!hit) return { addr, sym: null, offset: fileOffset, module: m.path || null };
    return { addr, sym: hit.name, offset: hit.offset, module: m.path };
  }

  /** The symbols of a mapped file, cached; null when it cannot be read as ELF. */
  #file(path: string, pid: number): ElfSymbols | null {
    let f = this.#files.get(path);
    if (f === undefined) {
      try {
        f = this.#src.file(path, pid);
      } catch {
        f = null;
      }
      this.#files.set(path, f);
    }
    return f;
  }

  /** Symbol files read so far, with their build-id and debuglink (for diagnostics). */
  files(): ElfSymbols[] {
    return [...this.#files.values()].filter((f): f is ElfSymbols => f !== null);
  }
}
