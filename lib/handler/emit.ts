import { formatTableHeader, formatTableRow, plainText, toJsonLine } from "../format/mod.ts";

/**
 * Prints values a handler emits in the run's format. JSON: one line per value. Plain text:
 * strings as lines; objects as a table whose columns come from the first object's keys
 * (header printed once, as for events); anything else as its plain-text form.
 */
export function makeEmitter(
  format: "plain" | "json",
  write: (text: string) => void,
): (v: unknown) => void {
  if (format === "json") return (v) => write(toJsonLine(v) + "\n");
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
