import { type Btf, Kind, typeName } from "../lib/btf/mod.ts";
import { CompileError } from "./errors.ts";

/** An exported event struct as the package lists it. */
export interface ExportType {
  /** Struct name. */
  name: string;
  /** Members with display type strings (layout is re-read from BTF via `type_id`). */
  members: { name: string; type: string }[];
  /** Size in bytes. */
  size: number;
  /** BTF type id in the object's own BTF. */
  type_id: number;
}

/** Removes comments and `#if 0` blocks so that only real definitions are seen. */
function stripInactive(text: string): string {
  const noComments = text.replace(/\/\*[\s\S]*?\*\/|\/\/[^\n]*/g, " ");
  return noComments.replace(/^\s*#\s*if\s+0\b[\s\S]*?^\s*#\s*endif\b/gm, " ");
}

/**
 * Names of the structs a header defines (`struct NAME {`), in header order. Unlike upstream,
 * commented-out and `#if 0` definitions are not taken.
 */
export function exportStructNames(header: string): string[] {
  const names: string[] = [];
  for (const m of stripInactive(header).matchAll(/\bstruct\s+([A-Za-z_]\w*)\s*\{/g)) {
    if (!names.includes(m[1])) names.push(m[1]);
  }
  return names;
}

/**
 * The declarations appended to the source so that clang keeps each exported struct in BTF even
 * when the program only uses it through `bpf_ringbuf_reserve` (same names as upstream, whose
 * loader skips `__eunomia_dummy*` variables).
 */
export function dummyDeclarations(names: string[]): string {
  return names.map((n) =>
    `const volatile struct ${n} * __eunomia_dummy_${n}_ptr  __attribute__((unused));\n`
  ).join("");
}

/** Display type of a member: `composite` for struct/union, `enum` for enums, else its C name. */
function memberType(btf: Btf, id: number): string {
  const t = btf.skipModifiers(id);
  if (t.kind === Kind.STRUCT || t.kind === Kind.UNION) return "composite";
  if (t.kind === Kind.ENUM || t.kind === Kind.ENUM64) return "enum";
  return typeName(btf, id);
}

/** The `export_types` entries for `names`, in BTF type-id order. */
export function exportTypes(btf: Btf, names: string[], header: string): ExportType[] {
  const wanted = new Set(names);
  const out: ExportType[] = [];
  for (const t of btf.types) {
    if (t.kind !== Kind.STRUCT || !wanted.has(t.name)) continue;
    out.push({
      members: t.members.map((m) => ({ name: m.name, type: memberType(btf, m.type) })),
      name: t.name,
      size: t.size,
      type_id: t.id,
    });
  }
  if (names.length && !out.length) {
    throw new CompileError(
      `${header}: none of its structs (${names.join(", ")}) is in the object's BTF; ` +
        `does the source #include the header?`,
    );
  }
  return out;
}
