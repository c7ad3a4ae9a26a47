import { Kind, readBpfObject, typeName } from "../btf/mod.ts";
import type { Package } from "./codec.ts";
import { PackageError } from "./errors.ts";

/**
 * A readable summary of a package: programs and where they attach, maps, the flags its
 * variables give, and the exported event layouts (offsets and sizes from BTF).
 */
export function describePackage(pkg: Package, source = "package"): string {
  const { meta } = pkg;
  let obj;
  try {
    obj = readBpfObject(pkg.object);
  } catch (e) {
    throw new PackageError(`${source}: bpf_object: ${(e as Error).message}`, "bpf_object");
  }
  const skel = meta.bpf_skel;
  const lines: string[] = [];
  const doc = skel.doc?.brief ?? skel.doc?.description;
  lines.push(`${skel.obj_name}${doc ? ` — ${doc}` : ""}`);
  lines.push(`  object: ${pkg.object.length} bytes (BPF ELF)`);
  lines.push(`  programs:`);
  for (const p of skel.progs) lines.push(`    ${p.name.padEnd(24)} ${p.attach}`);
  lines.push(`  maps:`);
  for (const m of skel.maps) {
    const extra = m.sample ? ` (sampled every ${m.sample.interval} ms as ${m.sample.type})` : "";
    lines.push(`    ${m.name.padEnd(24)} ${m.ident}${m.mmaped ? ", mmaped" : ""}${extra}`);
  }
  const vars = skel.data_sections.flatMap((s) =>
    s.variables.filter((v) => !v.name.startsWith("__eunomia_dummy")).map((v) => ({ s, v }))
  );
  if (vars.length) {
    lines.push(`  flags:`);
    for (const { s, v } of vars) {
      const long = v.cmdarg?.long ?? v.name;
      const help = v.cmdarg?.help ?? v.description ?? "";
      lines.push(`    --${long.padEnd(22)} ${v.type} in ${s.name}${help ? `: ${help}` : ""}`);
    }
  }
  if (meta.export_types.length) {
    const { btf } = obj;
    for (const t of meta.export_types) {
      lines.push(`  event struct ${t.name} (${t.size} bytes, BTF type ${t.type_id}):`);
      const st = btf.type(t.type_id);
      if (st.kind !== Kind.STRUCT) continue;
      for (const m of st.members) {
        const at = m.bitSize
          ? `bits ${m.bitOffset}+${m.bitSize}`
          : `@${m.bitOffset / 8}, ${btf.sizeOf(m.type)} byte${btf.sizeOf(m.type) === 1 ? "" : "s"}`;
        lines.push(`    ${typeName(btf, m.type).padEnd(20)} ${m.name.padEnd(16)} ${at}`);
      }
    }
  }
  if (pkg.btfArchive) {
    const kernels = pkg.btfArchive.kernels();
    lines.push(`  tailored BTF for ${kernels.length} kernel${kernels.length === 1 ? "" : "s"}:`);
    for (const k of kernels) {
      lines.push(`    ${k.padEnd(48)} ${pkg.btfArchive.files.get(k)!.length} bytes`);
    }
  }
  return lines.join("\n");
}

/**
 * A package's summary as data: name, doc, programs and where they attach, maps, flags and
 * exported event types (the config of a pushed package artifact).
 */
export function packageSummary(pkg: Package): Record<string, unknown> {
  const skel = pkg.meta.bpf_skel;
  return {
    name: skel.obj_name,
    version: skel.doc?.version ?? undefined,
    description: skel.doc?.brief ?? skel.doc?.description ?? undefined,
    programs: skel.progs.map((p) => ({ name: p.name, attach: p.attach })),
    maps: skel.maps.map((m) => ({ name: m.name, sample: m.sample?.type })),
    flags: skel.data_sections.flatMap((s) =>
      s.variables.filter((v) => !v.name.startsWith("__eunomia_dummy")).map((v) => ({
        name: v.cmdarg?.long ?? v.name,
        type: v.type,
      }))
    ),
    export_types: pkg.meta.export_types.map((t) => ({ name: t.name, size: t.size })),
    object_size: pkg.object.length,
  };
}
