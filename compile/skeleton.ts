import { SHF, SHT, STB, STT } from "../lib/elf/mod.ts";
import {
  type BpfObjectFile,
  type DatasecType,
  Kind,
  typeName,
  VarLinkage,
} from "../lib/btf/mod.ts";

/** Longest object name libbpf keeps (`BPF_OBJ_NAME_LEN` - 1). */
const OBJ_NAME_MAX = 15;

/** Replaces every character that is not `[A-Za-z0-9_]` with `_`. */
export function sanitizeIdentifier(s: string): string {
  return s.replace(/[^A-Za-z0-9_]/g, "_");
}

/** The object name bpftool derives from a file name: `bootstrap.bpf.o` → `bootstrap_bpf`. */
export function objectNameFromFile(file: string): string {
  const base = file.split("/").pop()!.slice(0, 63);
  return sanitizeIdentifier(base.endsWith(".o") ? base.slice(0, -2) : base);
}

/** libbpf's name for the internal map of data section `section` in object `objName`. */
export function internalMapName(objName: string, section: string): string {
  const sfxLen = Math.max(7, section.length);
  const pfxLen = section.indexOf(".", 1) >= 0
    ? 0
    : Math.min(16 - sfxLen - 1, Math.min(objName.length, OBJ_NAME_MAX));
  const name = (objName.slice(0, Math.max(0, pfxLen)) + section.slice(0, sfxLen)).slice(0, 15);
  return name.replace(/[^A-Za-z0-9_.]/g, "_");
}

/** bpftool's skeleton identifier of an internal map (`bootstra.rodata` → `rodata`). */
export function internalMapIdent(name: string): string | undefined {
  for (const sfx of [".data", ".rodata", ".bss", ".kconfig"]) {
    const i = name.indexOf(sfx);
    if (i >= 0) return sanitizeIdentifier(name.slice(i + 1));
  }
  return undefined;
}

/** A map entry of `bpf_skel.maps`. */
export interface SkelMap {
  /** libbpf map name. */
  name: string;
  /** Skeleton identifier. */
  ident: string;
  /** Set (true) for memory-mappable internal maps only. */
  mmaped?: true;
  /** Doc-comment keys (sample, export_config, …). */
  [key: string]: unknown;
}

/** A program entry of `bpf_skel.progs`. */
export interface SkelProg {
  /** Function name. */
  name: string;
  /** SEC() string. */
  attach: string;
  /** Always true. */
  link: true;
  /** Doc-comment keys (ifindex, tchook, …). */
  [key: string]: unknown;
}

/** A data section listing of `bpf_skel.data_sections`. */
export interface SkelDataSection {
  /** Section name (`.rodata`). */
  name: string;
  /** Non-static variables in offset order. */
  variables: { name: string; type: string; [key: string]: unknown }[];
}

/** The `bpf_skel` object before doc comments are merged in. */
export interface Skeleton {
  /** Data sections of memory-mappable internal maps. */
  data_sections: SkelDataSection[];
  /** User maps then internal maps, in libbpf order. */
  maps: SkelMap[];
  /** Object name. */
  obj_name: string;
  /** Programs in libbpf order. */
  progs: SkelProg[];
}

function dataSectionKind(name: string, type: number): boolean {
  if (type === SHT.NOBITS) return name === ".bss" || name.startsWith(".bss.");
  return name === ".data" || name.startsWith(".data.") || name === ".rodata" ||
    name.startsWith(".rodata.");
}

/** libbpf ≥ 1.5: an internal map is mmapable iff its DATASEC has a non-static variable. */
function isMmapable(datasec: DatasecType | undefined, obj: BpfObjectFile): boolean {
  return !!datasec?.vars.some((v) => {
    const t = obj.btf.type(v.type);
    return t.kind === Kind.VAR && t.linkage !== VarLinkage.STATIC;
  });
}

/**
 * Reads what `bpftool gen skeleton` would describe: maps (user maps in `.maps` offset order,
 * then one internal map per data section in ELF order), programs (section order, then symbol
 * order; `.text` subprograms excluded) and the variables of mmapable data sections.
 */
export function buildSkeleton(obj: BpfObjectFile, objName: string): Skeleton {
  const { elf, btf } = obj;
  const maps: SkelMap[] = [];
  const dataSections: SkelDataSection[] = [];
  const mapsSec = btf.find(".maps", Kind.DATASEC);
  for (const v of mapsSec?.vars ?? []) {
    const name = btf.type(v.type).name;
    maps.push({ name, ident: name });
  }
  const dataSecs = elf.sections.filter((s) =>
    s.size > 0 && (s.type === SHT.PROGBITS || s.type === SHT.NOBITS) &&
    !(s.flags & SHF.EXECINSTR) && dataSectionKind(s.name, s.type)
  );
  const kconfig = btf.find(".kconfig", Kind.DATASEC);
  const internal = [...dataSecs.map((s) => s.name), ...(kconfig ? [".kconfig"] : [])];
  for (const section of internal) {
    const name = internalMapName(objName, section);
    const ident = internalMapIdent(name);
    if (!ident) continue;
    const datasec = btf.find(section, Kind.DATASEC);
    const mmaped = isMmapable(datasec, obj);
    maps.push(mmaped ? { ident, mmaped: true, name } : { ident, name });
    if (mmaped && datasec) {
      const variables = [];
      for (const vsi of datasec.vars) {
        const v = btf.type(vsi.type);
        if (v.kind !== Kind.VAR || v.linkage === VarLinkage.STATIC) continue;
        variables.push({ name: v.name, type: typeName(btf, v.type) });
      }
      dataSections.push({ name: section, variables });
    }
  }
  const progs: SkelProg[] = [];
  for (const sec of elf.sections) {
    if (sec.type !== SHT.PROGBITS || !(sec.flags & SHF.EXECINSTR) || !sec.size) continue;
    if (sec.name === ".text") continue;
    for (const sym of elf.symbols) {
      if (sym.shndx !== sec.index || sym.type !== STT.FUNC || sym.bind === STB.LOCAL) continue;
      progs.push({ attach: sec.name, link: true, name: sym.name });
    }
  }
  return { data_sections: dataSections, maps, obj_name: objName, progs };
}
