/**
 * Output formats for decoded events and sampled maps, text-compatible with upstream `ecli`:
 * the plain-text table, compact JSON lines with exact 64-bit numbers, `default_kv` lines, the
 * log2 histogram, and a linear histogram of our own.
 * @module
 */
export * from "./errors.ts";
export * from "./json.ts";
export * from "./json_line.ts";
export type { RecordEncoder } from "./record_encoder.ts";
export * from "./table_row.ts";
export * from "./plain_text.ts";
export * from "./default_kv.ts";
export * from "./histogram.ts";
export * from "./log2_hist.ts";
export * from "./linear_hist.ts";
export * from "./records.ts";
