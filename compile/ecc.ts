import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join, resolve } from "node:path";
import { readBpfObject, renderWasmHeader } from "../lib/btf/mod.ts";
import { stripDebug } from "../lib/elf/mod.ts";
import type { Meta } from "../lib/package/schema.ts";
import { encodePackage, serializeJson, serializeYaml } from "../lib/package/encode.ts";
import { parseDocComments, type SourceDocs } from "./doc_comments.ts";
import { renderDts } from "./dts.ts";
import { CompileError } from "./errors.ts";
import { dummyDeclarations, exportStructNames, exportTypes } from "./export_types.ts";
import { includeRoot } from "./headers.ts";
import {
  btfhubKernels,
  buildPackageTar,
  defaultBtfhubArchive,
  kernelFromArg,
  type PackageTarResult,
} from "./btfgen/mod.ts";
import { buildSkeleton, objectNameFromFile, type Skeleton } from "./skeleton.ts";
import { runTool, systemIncludeDirs, targetArch } from "./toolchain.ts";
import { vmlinuxHeader } from "./vmlinux.ts";

/** The ecc version written into `meta.eunomia_version` (the upstream format we follow). */
export const EUNOMIA_VERSION = "0.3.4";

/** Options of `compile`, mirroring ecc's command line. */
export interface CompileOptions {
  /** The `.bpf.c` source (with `headerOnly`: the header to compile alone). */
  source: string;
  /** Optional header whose structs become `export_types`. */
  exportHeader?: string;
  /** Output directory (created if missing); default: the source's directory. */
  outputDir?: string;
  /** Write YAML instead of JSON. */
  yaml?: boolean;
  /** Extra clang arguments, inserted before the source directory's `-I`. */
  cflags?: string[];
  /** clang executable (default `clang`). */
  clang?: string;
  /** llvm-strip executable; by default DWARF is stripped in-process (same result). */
  llvmStrip?: string;
  /** Compile the header alone to get its types. */
  headerOnly?: boolean;
  /** Skip writing package.json. */
  noPackage?: boolean;
  /**
   * Also write `<name>.wasm.h`: the export header's structs with the BPF layout spelled out
   * for a wasm32 guest (upstream's `-w`/`--wasm-header`, as bpftool's `btf dump … -j`).
   */
  wasmHeader?: boolean;
  /** Called with each command line and progress line (ecc `-v`). */
  log?: (line: string) => void;
  /** Also write `package.tar` with tailored BTF from `btfhubArchive` (ecc `--btfgen`). */
  btfgen?: boolean;
  /** btfhub-archive tree for `btfgen` (default `defaultBtfhubArchive()`). */
  btfhubArchive?: string;
  /** Kernel BTF files to tailor from (ecc `--btf-from`; see `kernelFromArg`); implies a tar. */
  btfFrom?: string[];
  /** false: the source includes no `vmlinux.h`, so none is rendered (default true). */
  vmlinux?: boolean;
}

/** What `compile` produced. */
export interface CompileResult {
  /** `bpf_skel` + `export_types` + `eunomia_version`, as written to the skel file. */
  meta: Record<string, unknown>;
  /** The stripped ELF object. */
  object: Uint8Array;
  /** Paths written, by role. */
  files: {
    object: string;
    skeleton: string;
    types: string;
    package?: string;
    wasmHeader?: string;
    tar?: string;
  };
  /** Per-kernel sizes of the tailored BTF in `package.tar`, when one was written. */
  btfgen?: PackageTarResult["kernels"];
}

/** Object name of a source: its file name up to the first `.` (`bootstrap.bpf.c` → `bootstrap`). */
export function objectStem(source: string): string {
  return basename(source).split(".")[0];
}

/** The clang argument list, in upstream ecc's order. */
export function clangArgs(o: {
  clang: string;
  arch: string;
  systemIncludes: string[];
  vmlinuxDir: string;
  cflags: string[];
  sourceDir: string;
  input: string;
  output: string;
}): string[] {
  return [
    o.clang,
    "-g",
    "-O2",
    "-target",
    "bpf",
    "-Wno-unknown-attributes",
    `-D__TARGET_ARCH_${o.arch}`,
    ...o.systemIncludes.flatMap((d) => ["-idirafter", d]),
    `-I${includeRoot()}`,
    `-I${o.vmlinuxDir}`,
    ...o.cflags,
    // Quoted includes resolve against the user's directory first, even though the compiled
    // file may be a generated copy in a temporary directory.
    "-iquote",
    o.sourceDir,
    `-I${o.sourceDir}`,
    "-c",
    o.input,
    "-o",
    o.output,
  ];
}

function readText(path: string, what: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === "ENOENT" ? "no such file" : code === "EISDIR" ? "is a directory" : code;
    throw new CompileError(`${what} ${path}: ${why}`);
  }
}

/** Merges doc-comment keys into skeleton entries (doc keys win, as upstream's do). */
function applyDocs(skel: Skeleton, docs: SourceDocs): Record<string, unknown> {
  const withDoc = <T extends { name: string }>(entry: T) => ({
    ...entry,
    ...(docs.byName.get(entry.name) ?? {}),
  });
  const out: Record<string, unknown> = {
    data_sections: skel.data_sections.map((s) => ({ ...s, variables: s.variables.map(withDoc) })),
    obj_name: skel.obj_name,
  };
  if (skel.maps.length) out.maps = skel.maps.map(withDoc);
  if (skel.progs.length) out.progs = skel.progs.map(withDoc);
  if (docs.license && Object.keys(docs.license).length) out.doc = docs.license;
  return out;
}

/**
 * Compiles an eBPF C source into a package (`compile("prog.bpf.c", { exportHeader:
 * "prog.h", outputDir: "out" })`, or one options object), as upstream `ecc` does: clang (+ dummy pointers
 * that keep the header's structs in BTF), stripping of DWARF (`llvm-strip -g`), metadata read from the object's ELF
 * and BTF, doc comments, then `<name>.bpf.o`, `<name>.skel.json|yaml`, `package.json|yaml` and
 * `<name>.d.ts` (the types a `--handler` module gets, see `renderDts`).
 */
export async function compile(
  sourceOrOptions: string | CompileOptions,
  options: Omit<CompileOptions, "source"> = {},
): Promise<CompileResult> {
  const opts: CompileOptions = typeof sourceOrOptions === "string"
    ? { ...options, source: sourceOrOptions }
    : sourceOrOptions;
  const log = opts.log ?? (() => {});
  const source = resolve(opts.source);
  const text = readText(source, "source");
  const header = opts.headerOnly ? source : opts.exportHeader && resolve(opts.exportHeader);
  const headerText = header ? (header === source ? text : readText(header, "header")) : "";
  const structNames = header ? exportStructNames(headerText) : [];
  if (header && !structNames.length) {
    throw new CompileError(`header ${header}: defines no struct to export ('struct NAME {')`);
  }
  const outDir = resolve(opts.outputDir ?? dirname(source));
  mkdirSync(outDir, { recursive: true });
  const stem = objectStem(source);
  const objectPath = join(outDir, `${stem}.bpf.o`);
  const clang = opts.clang ?? "clang";
  const arch = targetArch();
  const tmp = mkdtempSync(join(tmpdir(), "ecc-"));
  const vmlinux = opts.vmlinux === false ? { dir: tmp, source: "none" } : vmlinuxHeader(arch);
  log(`vmlinux.h: ${vmlinux.dir} (${vmlinux.source})`);

  try {
    let input = source;
    if (header) {
      // The #line directive keeps clang's diagnostics and the debug info on the user's file.
      input = join(tmp, `${stem}.temp.c`);
      const sep = text.endsWith("\n") || !text ? "" : "\n";
      writeFileSync(
        input,
        `#line 1 ${JSON.stringify(source)}\n${text}${sep}${dummyDeclarations(structNames)}`,
      );
    }
    const argv = clangArgs({
      clang,
      arch,
      systemIncludes: systemIncludeDirs(clang),
      vmlinuxDir: vmlinux.dir,
      cflags: opts.cflags ?? [],
      sourceDir: dirname(source),
      input,
      output: objectPath,
    });
    log(argv.join(" "));
    const cc = runTool(argv);
    if (cc.status !== 0) {
      throw new CompileError(
        `clang failed (exit code ${cc.status}) compiling ${source}`,
        cc.stderr.trimEnd(),
      );
    }
    if (opts.llvmStrip) {
      const strip = [opts.llvmStrip, "-g", objectPath];
      log(strip.join(" "));
      const st = runTool(strip);
      if (st.status !== 0) {
        throw new CompileError(`llvm-strip failed (exit code ${st.status})`, st.stderr.trimEnd());
      }
    } else {
      const full = new Uint8Array(readFileSync(objectPath));
      const stripped = stripDebug(full);
      log(
        `strip debug info (built-in): ${objectPath} (${full.length} -> ${stripped.length} bytes)`,
      );
      writeFileSync(objectPath, stripped);
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }

  const object = new Uint8Array(readFileSync(objectPath));
  const obj = readBpfObject(object);
  const skel = buildSkeleton(obj, objectNameFromFile(objectPath));
  const meta: Record<string, unknown> = {
    bpf_skel: applyDocs(skel, parseDocComments(text)),
    eunomia_version: EUNOMIA_VERSION,
  };
  if (header) meta.export_types = exportTypes(obj.btf, structNames, header);

  const format = opts.yaml ? "yaml" : "json";
  const serialize = opts.yaml ? serializeYaml : serializeJson;
  const skeletonPath = join(outDir, `${stem}.skel.${format}`);
  writeFileSync(skeletonPath, await serialize(meta));
  const typesPath = join(outDir, `${stem}.d.ts`);
  // Not validated with zod (it costs ecc ~70 ms of start-up): renderDts fills in the defaults.
  writeFileSync(typesPath, renderDts(meta as Meta, obj.btf, { fileName: `${stem}.d.ts` }));
  const files: CompileResult["files"] = {
    object: objectPath,
    skeleton: skeletonPath,
    types: typesPath,
  };
  if (opts.wasmHeader) {
    if (!header) throw new CompileError("--wasm-header needs the event header (its structs)");
    const ids = (meta.export_types as { type_id: number }[]).map((t) => t.type_id);
    files.wasmHeader = join(outDir, `${stem}.wasm.h`);
    const guard = `__${stem.toUpperCase().replace(/\W/g, "_")}_WASM_H__`;
    writeFileSync(files.wasmHeader, renderWasmHeader(obj.btf, ids, guard));
  }
  if (!opts.noPackage) {
    files.package = join(outDir, `package.${format}`);
    writeFileSync(files.package, await serialize(encodePackage(object, meta)));
  }
  let btfgen: PackageTarResult["kernels"] | undefined;
  if (opts.btfgen || opts.btfFrom?.length) {
    const kernels = [
      ...(opts.btfgen ? btfhubKernels(opts.btfhubArchive ?? defaultBtfhubArchive()) : []),
      ...(opts.btfFrom ?? []).map(kernelFromArg),
    ];
    const start = performance.now();
    const json = new TextEncoder().encode(await serializeJson(encodePackage(object, meta)));
    const r = buildPackageTar(json, { name: stem, data: object }, kernels);
    files.tar = join(outDir, "package.tar");
    writeFileSync(files.tar, r.tar);
    btfgen = r.kernels;
    for (const k of r.kernels) {
      log(
        `btfgen: ${k.key}: ${k.fullBytes} -> ${k.bytes} bytes (${k.resolved}/${k.total} relocations)`,
      );
    }
    log(`btfgen: ${r.kernels.length} kernels in ${(performance.now() - start).toFixed(0)} ms`);
  }
  return { meta, object, files, btfgen };
}
