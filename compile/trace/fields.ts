/**
 * What a probe carries: its typed fields and where the generated program reads each one.
 * @module
 */

/** The C types an integer field is stored as in the event. */
export type IntType = "s8" | "u8" | "s16" | "u16" | "s32" | "u32" | "s64" | "u64";

/** How a field's value is stored in the event. */
export type FieldValue =
  | { kind: "int"; type: IntType }
  /** A NUL-terminated string read through a pointer (bounded by `STRING_SIZE`). */
  | { kind: "string" }
  /** A fixed `char[length]` array copied as it is (`comm`). */
  | { kind: "chars"; length: number };

/** Where the program finds a field. */
export type FieldSource =
  /** Tracepoint: `size` bytes at `offset` of the record (a pointer for strings). */
  | { from: "record"; offset: number }
  /** Tracepoint: a `__data_loc` string (u32 at `offset`: offset and length in the record). */
  | { from: "data_loc"; offset: number }
  /** Function argument `index` (fentry/kprobe/uprobe). */
  | { from: "arg"; index: number }
  /** Return value (fexit/kretprobe). */
  | { from: "ret" };

/** One field of a probe. */
export interface ProbeField {
  /** Name in the event (`e.NAME`). */
  name: string;
  /** The declaration as the kernel gives it (`const char * filename`), for `--list`. */
  decl: string;
  /** How it is stored. */
  value: FieldValue;
  /** Where it is read from. */
  source: FieldSource;
}

/** Bytes kept of a string field (with its NUL). */
export const STRING_SIZE = 256;

/** Names every event has, filled from the current task. */
export const TASK_FIELDS: readonly ProbeField[] = [
  { name: "ts", decl: "u64 ts", value: { kind: "int", type: "u64" }, source: { from: "ret" } },
  { name: "pid", decl: "u32 pid", value: { kind: "int", type: "u32" }, source: { from: "ret" } },
  { name: "tid", decl: "u32 tid", value: { kind: "int", type: "u32" }, source: { from: "ret" } },
  {
    name: "comm",
    decl: "char comm[16]",
    value: { kind: "chars", length: 16 },
    source: { from: "ret" },
  },
];

/** Names the generated event uses itself: a probe field named so is renamed `arg_NAME`. */
const RESERVED = new Set([...TASK_FIELDS.map((f) => f.name), "probe"]);

/** `name` as an event field: C-safe, and not one of the task's own fields. */
export function fieldName(name: string): string {
  const clean = name.replace(/^_+/, "").replace(/[^A-Za-z0-9_]/g, "_") || "field";
  return RESERVED.has(clean) ? `arg_${clean}` : clean;
}

/** The integer type of `size` bytes. */
export function intType(size: number, signed: boolean): IntType | undefined {
  if (![1, 2, 4, 8].includes(size)) return undefined;
  return `${signed ? "s" : "u"}${size * 8}` as IntType;
}

/** The C declaration of a field in the event struct. */
export function eventMember(f: ProbeField): string {
  switch (f.value.kind) {
    case "int":
      return `${f.value.type} ${f.name};`;
    case "string":
      return `char ${f.name}[${STRING_SIZE}];`;
    case "chars":
      return `char ${f.name}[${f.value.length}];`;
  }
}
