import { type ElfFile, parseElf } from "../elf/mod.ts";
import type { Btf } from "./btf.ts";
import { fixupDatasecs } from "./datasec.ts";
import { BtfError } from "./errors.ts";
import { parseBtf } from "./parse.ts";

/** A BPF object's ELF with its BTF as libbpf sees it after open (DATASECs fixed up). */
export interface BpfObjectFile {
  /** The parsed ELF. */
  elf: ElfFile;
  /** The `.BTF` section, fixed up. */
  btf: Btf;
}

/** Reads a BPF ELF object and its `.BTF` section; throws if the object carries no BTF. */
export function readBpfObject(bytes: Uint8Array): BpfObjectFile {
  const elf = parseElf(bytes);
  const sec = elf.sections.find((s) => s.name === ".BTF");
  if (!sec) throw new BtfError("the object has no .BTF section (compile with clang -g)");
  const btf = parseBtf(sec.data.slice());
  fixupDatasecs(btf, elf);
  return { elf, btf };
}

/**
 * The raw BTF of a kernel BTF file: the bytes themselves for raw BTF
 * (`/sys/kernel/btf/vmlinux`, btfhub's `.btf`), the `.BTF` section for an ELF (a vmlinux).
 */
export function rawKernelBtf(bytes: Uint8Array, what = "kernel BTF"): Uint8Array {
  if (bytes[0] !== 0x7f || bytes[1] !== 0x45 || bytes[2] !== 0x4c || bytes[3] !== 0x46) {
    return bytes;
  }
  const sec = parseElf(bytes).sections.find((s) => s.name === ".BTF");
  if (!sec) throw new BtfError(`${what}: the ELF file has no .BTF section`);
  return sec.data;
}
