import { type Btf, Kind } from "../btf/mod.ts";
import { LoaderError } from "./errors.ts";

/** An already-encoded value for one global variable of a data section. */
export interface VariableValue {
  /** Data section, e.g. `.rodata`, `.bss`, `.data`. */
  section: string;
  /** Variable name. */
  name: string;
  /** Little-endian bytes: exactly the variable's size, or a prefix of it for arrays. */
  bytes: Uint8Array;
}

/** Where a variable lives in its data section (from the fixed-up BTF DATASEC). */
export interface DataVariable {
  /** Data section name. */
  section: string;
  /** Variable name. */
  name: string;
  /** Byte offset in the section. */
  offset: number;
  /** Size in bytes. */
  size: number;
  /** BTF type id of the variable's type. */
  type: number;
  /** Whether the type is an array (a shorter value fills a prefix, e.g. a C string). */
  array: boolean;
}

/** Sections whose layout libbpf builds from externs: not settable. */
const NOT_SETTABLE = new Set([".maps", ".kconfig", ".ksyms"]);

/** Finds variable `name` in DATASEC `section`; throws `LoaderError` naming what is missing. */
export function findVariable(btf: Btf, section: string, name: string): DataVariable {
  const sec = NOT_SETTABLE.has(section) ? undefined : btf.find(section, Kind.DATASEC);
  if (!sec) throw new LoaderError(`no data section '${section}' with variables in the object`);
  for (const v of sec.vars) {
    const t = btf.type(v.type);
    if (t.kind !== Kind.VAR || t.name !== name) continue;
    return {
      section,
      name,
      offset: v.offset,
      size: v.size,
      type: t.type,
      array: btf.resolve(t.type).kind === Kind.ARRAY,
    };
  }
  throw new LoaderError(`no variable '${name}' in section '${section}'`);
}

/** Writes `bytes` for `v` into the section image `image`, checking the size. */
export function writeVariable(image: Uint8Array, v: DataVariable, bytes: Uint8Array): void {
  const fits = v.array ? bytes.length <= v.size : bytes.length === v.size;
  if (!fits) {
    const want = v.array ? `at most ${v.size}` : `${v.size}`;
    throw new LoaderError(
      `value of '${v.name}' (${v.section}) is ${bytes.length} bytes, the variable takes ${want}`,
    );
  }
  if (v.offset + v.size > image.length) {
    throw new LoaderError(
      `variable '${v.name}' at ${v.offset}+${v.size} lies outside '${v.section}' (${image.length} bytes)`,
    );
  }
  image.set(bytes, v.offset);
}
