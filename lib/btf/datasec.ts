import { type ElfFile, STB, STT, STV } from "../elf/mod.ts";
import type { Btf } from "./btf.ts";
import { BtfError } from "./errors.ts";
import { Kind, VarLinkage } from "./types.ts";

/** Data sections whose layout is set by libbpf from externs, not from the ELF. */
const EXTERN_SECTIONS = new Set([".kconfig", ".ksyms"]);

/**
 * Applies libbpf's open-time DATASEC fix-up to `btf` in place: clang leaves section sizes and
 * variable offsets at zero, libbpf takes them from the ELF section sizes and symbol values,
 * marks hidden globals static and sorts the variables by offset.
 */
export function fixupDatasecs(btf: Btf, elf: ElfFile): void {
  for (const sec of btf.datasecs()) {
    if (!EXTERN_SECTIONS.has(sec.name)) {
      let fixOffsets = false;
      if (sec.size === 0) {
        const elfSec = elf.sections.find((s) => s.name === sec.name);
        if (!elfSec || !elfSec.size) {
          throw new BtfError(`DATASEC '${sec.name}' has no matching ELF section to size it`);
        }
        sec.size = elfSec.size;
        fixOffsets = true;
      }
      for (const vsi of sec.vars) {
        const v = btf.type(vsi.type);
        if (v.kind !== Kind.VAR) {
          throw new BtfError(`DATASEC '${sec.name}' lists type id ${vsi.type}, which is not a VAR`);
        }
        if (v.linkage === VarLinkage.STATIC || v.linkage === VarLinkage.GLOBAL_EXTERN) continue;
        const sym = elf.symbols.find((s) =>
          s.type === STT.OBJECT && (s.bind === STB.GLOBAL || s.bind === STB.WEAK) &&
          s.name === v.name
        );
        if (!sym) {
          throw new BtfError(`variable '${v.name}' of '${sec.name}' has no ELF symbol`);
        }
        if (fixOffsets) vsi.offset = sym.value;
        if (sym.visibility === STV.HIDDEN || sym.visibility === STV.INTERNAL) {
          v.linkage = VarLinkage.STATIC;
        }
      }
    }
    sec.vars.sort((a, b) => a.offset - b.offset);
  }
}
