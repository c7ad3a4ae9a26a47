/**
 * What a Wasm module is, read without running it: its imports checked against what this host
 * offers, its exports, and the BPF ELF objects embedded in its data (guests carry their
 * object as bytes, e.g. a skeleton's `__elf_bytes`), with their programs and maps.
 */
import { type ElfFile, parseElf } from "../elf/mod.ts";
import { WASM_BPF_IMPORTS } from "./bpf_host.ts";
import { WasmError } from "./errors.ts";
import { wasiImportNames } from "./wasi.ts";

const EM_BPF = 247;
const STT_FUNC = 2;

/** A BPF object found inside a module. */
export interface EmbeddedObject {
  /** Byte offset in the module. */
  offset: number;
  /** ELF size (up to the end of its section headers). */
  size: number;
  /** Programs: function name and section. */
  programs: { name: string; section: string }[];
  /** Map names (`.maps` section). */
  maps: string[];
}

/** A checked module, ready to instantiate. */
export interface WasmModuleInfo {
  /** The compiled module. */
  module: WebAssembly.Module;
  /** Imports as `module.name`. */
  imports: string[];
  /** Export names. */
  exports: string[];
  /** BPF objects in its bytes. */
  objects: EmbeddedObject[];
}

/**
 * Compiles and checks a module: it must be Wasm, import only `wasm_bpf` functions and the
 * WASI calls this runtime has, and export `memory` and `_start` (and the function table when
 * it polls buffers, since callbacks are table indices). Throws `WasmError`, one line.
 */
export function inspectWasmModule(bytes: Uint8Array): WasmModuleInfo {
  let module: WebAssembly.Module;
  try {
    module = new WebAssembly.Module(bytes as BufferSource);
  } catch (e) {
    throw new WasmError(`not a valid WebAssembly module: ${(e as Error).message}`);
  }
  const imports = WebAssembly.Module.imports(module);
  const exports = WebAssembly.Module.exports(module).map((e) => e.name);
  const wasi = wasiImportNames();
  const bpf = new Set<string>(WASM_BPF_IMPORTS);
  const unknown = imports.filter((i) =>
    !(i.kind === "function" &&
      (i.module === "wasm_bpf" ? bpf.has(i.name) : i.module === "wasi_snapshot_preview1" &&
        wasi.has(i.name)))
  ).map((i) => `${i.module}.${i.name}`);
  if (unknown.length) {
    throw new WasmError(
      `the module imports what this host does not provide: ${unknown.join(", ")}`,
    );
  }
  for (const need of ["memory", "_start"]) {
    if (!exports.includes(need)) throw new WasmError(`the module exports no '${need}'`);
  }
  if (
    imports.some((i) => i.name === "wasm_bpf_buffer_poll") &&
    !exports.includes("__indirect_function_table")
  ) {
    throw new WasmError(
      "the module polls buffers but exports no __indirect_function_table " +
        "(link it with -Wl,--export-table)",
    );
  }
  return {
    module,
    imports: imports.map((i) => `${i.module}.${i.name}`),
    exports,
    objects: embeddedObjects(bytes),
  };
}

/** BPF ELF objects (64-bit, little-endian, `EM_BPF`) lying in `bytes`. */
export function embeddedObjects(bytes: Uint8Array): EmbeddedObject[] {
  const out: EmbeddedObject[] = [];
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (
    let i = bytes.indexOf(0x7f);
    i >= 0 && i + 64 <= bytes.length;
    i = bytes.indexOf(0x7f, i + 1)
  ) {
    if (bytes[i + 1] !== 0x45 || bytes[i + 2] !== 0x4c || bytes[i + 3] !== 0x46) continue;
    if (bytes[i + 4] !== 2 || bytes[i + 5] !== 1 || dv.getUint16(i + 18, true) !== EM_BPF) continue;
    const shoff = Number(dv.getBigUint64(i + 40, true));
    const size = shoff + dv.getUint16(i + 60, true) * dv.getUint16(i + 58, true);
    if (i + size > bytes.length) continue;
    let elf: ElfFile;
    try {
      elf = parseElf(bytes.subarray(i, i + size));
    } catch {
      continue;
    }
    const sectionName = (n: number) => elf.sections[n]?.name ?? "";
    out.push({
      offset: i,
      size,
      programs: elf.symbols
        .filter((s) => s.type === STT_FUNC && s.bind === 1 && sectionName(s.shndx) !== ".text")
        .map((s) => ({ name: s.name, section: sectionName(s.shndx) })),
      maps: elf.symbols.filter((s) => sectionName(s.shndx) === ".maps" && s.name).map((s) =>
        s.name
      ),
    });
    i += size - 1;
  }
  return out;
}

/** `ecli info` on a module: size, imports by module, exports, embedded objects. */
export function describeWasmModule(bytes: Uint8Array, path: string): string {
  const info = inspectWasmModule(bytes);
  const byModule = new Map<string, string[]>();
  for (const i of info.imports) {
    const [m, n] = [i.slice(0, i.indexOf(".")), i.slice(i.indexOf(".") + 1)];
    byModule.set(m, [...(byModule.get(m) ?? []), n]);
  }
  const lines = [`${path}: WebAssembly module (wasm-bpf), ${bytes.length} bytes`, "imports:"];
  for (const [m, names] of byModule) lines.push(`  ${m}: ${names.join(", ")}`);
  lines.push(`exports: ${info.exports.join(", ")}`);
  lines.push(`embedded BPF objects: ${info.objects.length || "none found"}`);
  for (const o of info.objects) {
    lines.push(`  at offset ${o.offset}, ${o.size} bytes`);
    lines.push(
      `    programs: ${o.programs.map((p) => `${p.name} (${p.section})`).join(", ") || "none"}`,
    );
    lines.push(`    maps: ${o.maps.join(", ") || "none"}`);
  }
  return lines.join("\n");
}
