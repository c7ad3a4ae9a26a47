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
