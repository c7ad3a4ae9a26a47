/**
 * Line formats for scripting: CSV (RFC 4180), TSV (tab-separated, with `\t`, `\n`, `\r`, `\\`
 * escaped as PostgreSQL's text format does) and logfmt (`key=value` pairs), one record per
 * line. Scalars print as themselves (64-bit integers exactly), nested values as compact JSON.
 * @module
 */
import { toJsonLine } from "./json.ts";

/** The scripting line formats. */
export type RecordFormat = "csv" | "tsv" | "logfmt";

/** A value as one field's text: strings as they are, other scalars plainly, the rest JSON. */
export function fieldText(v: unknown): string {
  if (typeof v === "string") return v;
  if (typeof v === "number" || typeof v === "bigint" || typeof v === "boolean") return String(v);
  if (v === undefined || v === null) return "";
  return toJsonLine(v);
}

/** One CSV field: quoted when it holds a comma, a quote, or a line break. */
export function csvField(v: unknown): string {
  const s = fieldText(v);
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

/** One TSV field, with tab, line breaks and backslash escaped. */
export function tsvField(v: unknown): string {
  return fieldText(v).replace(
    /[\\\t\n\r]/g,
    (c) => c === "\\" ? "\\\\" : c === "\t" ? "\\t" : c === "\n" ? "\\n" : "\\r",
  );
}

/** One logfmt value: bare when it is one plain word, else double-quoted with escapes. */
export function logfmtValue(v: unknown): string {
  const s = fieldText(v);
  if (s !== "" && !/[\s"=\\]/.test(s)) return s;
  return JSON.stringify(s);
}

/**
 * A writer of records in `format`: CSV and TSV print a header of the first record's keys
 * once, then one line per record in those columns; logfmt prints every record's own keys.
 * A value that is not an object is one field.
 */
export function recordWriter(format: RecordFormat): (v: unknown) => string {
  if (format === "logfmt") {
    return (v) =>
      v && typeof v === "object" && !Array.isArray(v)
        ? Object.entries(v).map(([k, x]) => `${k}=${logfmtValue(x)}`).join(" ") + "\n"
        : `value=${logfmtValue(v)}\n`;
  }
  const field = format === "csv" ? csvField : tsvField;
  const sep = format === "csv" ? "," : "\t";
  let keys: string[] | undefined;
  return (v) => {
    const record = v && typeof v === "object" && !Array.isArray(v)
      ? v as Record<string, unknown>
      : { value: v };
    let out = "";
    if (!keys) {
      keys = Object.keys(record);
      out = keys.map(field).join(sep) + "\n";
    }
    return out + keys.map((k) => field(record[k])).join(sep) + "\n";
  };
}
