/**
 * Tracepoints as tracefs describes them: `events/CATEGORY/NAME/format` lists each field's
 * declaration, offset, size and signedness in the record the program gets as its context.
 * @module
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fieldName, type FieldValue, intType, type ProbeField } from "./fields.ts";

const ROOTS = ["/sys/kernel/tracing", "/sys/kernel/debug/tracing"];

/** The tracefs events directory, or undefined when tracefs is not mounted. */
export function tracefsEvents(): string | undefined {
  for (const r of ROOTS) if (existsSync(join(r, "events"))) return join(r, "events");
  return undefined;
}

function dirs(path: string): string[] {
  try {
    return readdirSync(path, { withFileTypes: true }).filter((d) => d.isDirectory())
      .map((d) => d.name).sort();
  } catch {
    return [];
  }
}

/** Every tracepoint as `CATEGORY:NAME`, sorted. */
export function listTracepoints(): string[] {
  const events = tracefsEvents();
  if (!events) return [];
  return dirs(events).flatMap((cat) =>
    dirs(join(events, cat)).filter((n) => existsSync(join(events, cat, n, "format")))
      .map((n) => `${cat}:${n}`)
  );
}

/** Widths and signedness of the C types tracepoint formats declare most often. */
const C_TYPES: Record<string, [number, boolean]> = {
  char: [1, true],
  "unsigned char": [1, false],
  bool: [1, false],
  short: [2, true],
  "unsigned short": [2, false],
  int: [4, true],
  "unsigned int": [4, false],
  unsigned: [4, false],
  long: [8, true],
  "unsigned long": [8, false],
  "long long": [8, true],
  "unsigned long long": [8, false],
  pid_t: [4, true],
  uid_t: [4, false],
  gid_t: [4, false],
  umode_t: [2, false],
  size_t: [8, false],
  ssize_t: [8, true],
  loff_t: [8, true],
  dev_t: [4, false],
  gfp_t: [4, false],
};

/** The stored value of a declared scalar type: the C type's width when known, else `size`. */
function scalar(type: string, size: number, signed: boolean): FieldValue | undefined {
  const t = type.replace(/\b(const|volatile|__user)\b/g, "").replace(/\s+/g, " ").trim();
  const m = /^(?:__)?([su])(8|16|32|64)$/.exec(t);
  const [width, sign] = m ? [Number(m[2]) / 8, m[1] === "s"] : C_TYPES[t] ?? [size, signed];
  const it = intType(Math.min(width, size), sign);
  return it ? { kind: "int", type: it } : undefined;
}

/** One field of a format file as a probe field; undefined for what an event cannot hold. */
function formatField(decl: string, offset: number, size: number, signed: boolean) {
  const m = /^(.*?)([A-Za-z_]\w*)\s*(\[[^\]]*\])?$/.exec(decl.trim());
  if (!m) return undefined;
  const [, typePart, name, array] = m;
  const type = typePart.trim();
  let value: FieldValue | undefined;
  let source: ProbeField["source"] = { from: "record", offset };
  if (type.startsWith("__data_loc")) {
    if (!/\bchar\b/.test(type)) return undefined;
    value = { kind: "string" };
    source = { from: "data_loc", offset };
  } else if (array !== undefined) {
    if (!/\bchar$/.test(type) || size <= 0) return undefined;
    value = { kind: "chars", length: size };
  } else if (type.endsWith("*")) {
    value = /\bchar\s*\*$/.test(type) ? { kind: "string" } : { kind: "int", type: "u64" };
  } else value = scalar(type, size, signed);
  if (!value) return undefined;
  return { name: fieldName(name), decl: decl.trim(), value, source } satisfies ProbeField;
}

/** The fields of tracepoint `category:name` (`common_*` left out), or undefined if none. */
export function tracepointFields(category: string, name: string): ProbeField[] | undefined {
  const events = tracefsEvents();
  if (!events) return undefined;
  let text: string;
  try {
    text = readFileSync(join(events, category, name, "format"), "utf8");
  } catch {
    return undefined;
  }
  return parseFormat(text);
}

/** The fields of a tracefs `format` file's text. */
export function parseFormat(text: string): ProbeField[] {
  const out: ProbeField[] = [];
  const re = /field:([^;]+);\s*offset:(\d+);\s*size:(\d+);\s*signed:(\d);/g;
  for (const m of text.matchAll(re)) {
    if (/\bcommon_\w+\s*$/.test(m[1])) continue;
    const f = formatField(m[1], Number(m[2]), Number(m[3]), m[4] === "1");
    if (f) out.push(f);
  }
  return out;
}
