/**
 * Plain-table rows straight from record bytes: for a struct of plain integers, bools,
 * pointers and `char[N]` a generated function writes the line
 * `formatTableRow(columns, row(bytes), clock) + "\n"` would give, as UTF-8, into a byte
 * buffer. Padding depends on the widths of the values before it, so it is worked out per row
 * by the generated code; the time prefix is encoded once per second.
 * @module
 */
import type { Btf } from "../btf/mod.ts";
import { decodeCString, type StructField } from "../decode/mod.ts";
import { type Clock, formatTimeOfDay } from "./plain_text.ts";
import {
  compileRecordEncoder,
  type RecordEncoder,
  scalarFields,
  scalarFieldsSize,
  type TextWriter,
  writeValue,
} from "./record_encoder.ts";

const utf8 = new TextEncoder();

/**
 * Bytes minus UTF-16 units written so far on the current row: `formatTableRow` pads to
 * columns counted in UTF-16 units (the string's length), and only non-ASCII text differs.
 */
interface RowState {
  wide: number;
}

/** `char[len]` at `at` of `src` as plain text (as `decodeCString`, unquoted). */
function putText(
  dst: Uint8Array,
  p: number,
  src: Uint8Array,
  at: number,
  len: number,
  row: RowState,
): number {
  for (let i = 0; i < len; i++) {
    const c = src[at + i];
    if (c === 0) return p;
    if (c >= 0x80) {
      const s = decodeCString(src, at, len);
      const n = utf8.encodeInto(s, dst.subarray(p - i)).written;
      row.wide += n - s.length;
      return p - i + n;
    }
    dst[p++] = c; // ASCII, control characters included, is its own UTF-8
  }
  return p;
}

/** Writes `HH:MM:SS ` from `clock`, encoding the text once per second. */
function timeWriter(clock: Clock): (dst: Uint8Array, p: number) => number {
  const text = new Uint8Array(TIME_MAX);
  let length = 0;
  let second = NaN;
  return (dst, p) => {
    const ms = clock();
    const s = Math.floor(ms / 1000);
    if (s !== second) {
      length = utf8.encodeInto(formatTimeOfDay(ms) + " ", text).written;
      second = s;
    }
    for (let i = 0; i < length; i++) dst[p + i] = text[i];
    return p + length;
  };
}

/** Bytes the time prefix can take (`NaN:NaN:NaN ` for a clock gone wrong). */
const TIME_MAX = 16;

const TABLE_TEXT: TextWriter = {
  call: (start, length) => `putText(dst, p, s, ${start}, ${length}, row)`,
  max: (length) => 3 * length, // invalid UTF-8 turns each byte into U+FFFD (3 bytes)
};

/**
 * The table row encoder of `fields` laid out at `columns` (from `formatTableHeader`), or
 * undefined when a field is anything but a byte-aligned integer (≤ 64 bits), bool, pointer or
 * `char[N]` (then use `formatTableRow(columns, buildRowDecoder(btf, fields)(b), clock)`).
 */
export function buildTableRowEncoder(
  btf: Btf,
  fields: readonly StructField[],
  columns: readonly number[],
  clock: Clock = Date.now,
): RecordEncoder | undefined {
  const scalars = scalarFields(btf, fields);
  if (!scalars) return undefined;
  const row: RowState = { wide: 0 };
  const text = scalars.some((f) => f.kind === "cstring");
  const body = [`const b = p;`, `let n = 0;`];
  if (text) body.push(`row.wide = 0;`);
  body.push(`p = putTime(dst, p);`);
  // A line is at most the time or the last column, then each value and the space before it.
  let max = Math.max(TIME_MAX, ...columns) + 1;
  for (const [i, f] of scalars.entries()) {
    // As formatTableRow: pad to the column when the line is short of it, else one space.
    const length = text ? `p - b - row.wide` : `p - b`;
    body.push(
      `n = ${columns[i] ?? 0} - (${length});`,
      `if (n > 0) { do dst[p++] = 32; while (--n > 0); } else dst[p++] = 32;`,
    );
    const value = writeValue(f, TABLE_TEXT);
    body.push(value.code);
    max += value.max + 1;
  }
  body.push(`dst[p] = 10; return p + 1;`);
  return compileRecordEncoder(scalarFieldsSize(scalars), max, body, {
    putText,
    putTime: timeWriter(clock),
    row,
  });
}
