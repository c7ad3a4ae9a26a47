/**
 * `default_kv`: a sampled map printed entry by entry as compact JSON of key and value, under a
 * header built like the event table's.
 * @module
 */
import { toJsonLine } from "./json.ts";
import { type Clock, formatTableHeader, formatTimeOfDay } from "./plain_text.ts";

/** The header: `TIME     ` then the key's field names, then the value's (`TIME     U32    SLOTS  `). */
export function formatKvHeader(
  keyFields: readonly string[],
  valueFields: readonly string[],
): string {
  return formatTableHeader([...keyFields, ...valueFields]).header;
}

/**
 * One entry: local `HH:MM:SS `, the key as compact JSON, a space, the value as compact JSON
 * (`12:00:01 {"pid":42} {"comm":"bash","slots":[1,2]}`); no column alignment, as upstream.
 */
export function formatKvRow(key: unknown, value: unknown, clock: Clock = Date.now): string {
  return `${formatTimeOfDay(clock())} ${toJsonLine(key)} ${toJsonLine(value)}`;
}
