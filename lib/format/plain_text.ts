/**
 * Upstream's plain-text event table: a header of upper-cased field names in columns at least
 * six characters wide, then one `HH:MM:SS` line per event with values at the recorded column
 * offsets.
 * @module
 */
import { toJsonLine } from "./json.ts";

/** Milliseconds since the epoch; injectable so tests can fix the time printed on a row. */
export type Clock = () => number;

/** The header line and the offset at which each field's column starts. */
export interface TableLayout {
  /** `TIME     ` followed by each field name, upper-cased, padded to 6, plus one space. */
  header: string;
  /** Start offset of each field's column in `header`, in field order. */
  columns: number[];
}

/** Start of every table line: `HH:MM:SS` plus one space, as wide as `TIME     `. */
const TIME_HEADER = "TIME     ";

/**
 * The plain-text header for `fields`, e.g. `TIME     PID    COMM   FILENAME `, and the column
 * offsets that `formatTableRow` aligns values to.
 */
export function formatTableHeader(fields: readonly string[]): TableLayout {
  let header = TIME_HEADER;
  const columns: number[] = [];
  for (const name of fields) {
    columns.push(header.length);
    header += name.toUpperCase().padEnd(6) + " ";
  }
  return { header, columns };
}

/**
 * One event line: local time `HH:MM:SS `, then each value. A value starts at its column when
 * the line has not reached it yet, otherwise after a single space; so the first value always
 * has two spaces before it, as upstream prints it (`16:58:31  506334 …`).
 */
export function formatTableRow(
  columns: readonly number[],
  values: readonly unknown[],
  clock: Clock = Date.now,
): string {
  let line = formatTimeOfDay(clock()) + " ";
  for (let i = 0; i < values.length; i++) {
    const column = columns[i] ?? 0;
    line += column > line.length ? " ".repeat(column - line.length) : " ";
    line += plainText(values[i]);
  }
  return line;
}

/**
 * A value as the plain-text formats print it: strings unquoted, numbers as JSON text, bigints
 * as their decimal digits, arrays and objects as compact JSON.
 */
export function plainText(value: unknown): string {
  switch (typeof value) {
    case "string":
      return value;
    case "bigint":
      return value.toString();
    case "boolean":
      return value ? "true" : "false";
    case "number":
      return Number.isFinite(value) ? String(value) : "null";
    default:
      return toJsonLine(value);
  }
}

let cachedSecond = NaN;
let cachedTime = "";

/** Local time of day `HH:MM:SS` for `ms` since the epoch (formatted once per second). */
export function formatTimeOfDay(ms: number): string {
  const second = Math.floor(ms / 1000);
  if (second !== cachedSecond) {
    const d = new Date(ms);
    cachedTime = `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
    cachedSecond = second;
  }
  return cachedTime;
}

function two(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}
