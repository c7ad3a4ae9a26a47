import {
  formatTableHeader,
  formatTableRow,
  plainText,
  type RecordFormat,
  recordWriter,
  toJsonLine,
} from "../format/mod.ts";

/** What emitted values print as: the run's table or JSON, or a scripting line format. */
export type EmitFormat = "plain" | "json" | RecordFormat;

/**
 * Prints values a handler emits in the run's format. JSON: one line per value. CSV, TSV,
 * logfmt: see `recordWriter` (strings print as lines in every format). Plain text:
 * strings as lines; objects as a table whose columns come from the first object's keys
 * (header printed once, as for events); anything else as its plain-text form.
 */
export function makeEmitter(
  format: EmitFormat,
  write: (text: string) => void,
): (v: unknown) => void {
  if (format === "json") return (v) => write(toJsonLine(v) + "\n");
  if (format !== "plain") {
    const line = recordWriter(format);
    return (v) => write(typeof v === "string" ? (v.endsWith("\n") ? v : v + "\n") : line(v));
  }
  let columns: number[] | undefined;
  let keys: string[] = [];
  return (v) => {
    if (typeof v === "string") return write(v.endsWith("\n") ? v : v + "\n");
    if (v && typeof v === "object" && !Array.isArray(v)) {
      if (!columns) {
        keys = Object.keys(v);
        const layout = formatTableHeader(keys);
        columns = layout.columns;
        write(layout.header + "\n");
      }
      const row = keys.map((k) => (v as Record<string, unknown>)[k]);
      return write(formatTableRow(columns, row) + "\n");
    }
    write(plainText(v) + "\n");
  };
}
