/**
 * What log2 and linear histograms share: the `|****    |` bar, the key lines printed above a
 * sampled map entry's histogram, and finding the entry's `slots`.
 * @module
 */
import { FormatError } from "./errors.ts";
import { plainText } from "./plain_text.ts";

/** Histogram counts as decoded: `__u32 slots[N]` gives numbers, `__u64 slots[N]` bigints. */
export type HistSlots = ArrayLike<number | bigint>;

/**
 * The bar between `|` and `|`: `val * width / max` stars (integer division), padded with
 * spaces to `width`.
 */
export function distributionBar(val: number, max: number, width: number): string {
  const stars = max > 0 ? Math.floor((Math.min(val, max) * width) / max) : 0;
  return "*".repeat(stars) + " ".repeat(width - stars) + (val > max ? "+" : "");
}

/**
 * The lines printed before a sampled entry's histogram, as upstream prints them:
 * `key = ` followed by each key member's value after one space (so `key =  305419896`), then
 * `<member> = <value>` for each value member other than `slots`. Each line ends with `\n`.
 */
export function formatHistKeyLines(key: unknown, value: unknown): string {
  let out = "key = ";
  for (const member of members(key)) out += " " + plainText(member[1]);
  out += "\n";
  for (const [name, v] of members(value)) {
    if (name !== "slots") out += `${name} = ${plainText(v)}\n`;
  }
  return out;
}

/** The `slots` member of a decoded histogram value; `FormatError` when there is none. */
export function histSlots(value: unknown): HistSlots {
  const slots = isRecord(value) ? value.slots : undefined;
  if (Array.isArray(slots) || (ArrayBuffer.isView(slots) && !(slots instanceof DataView))) {
    return slots as unknown as HistSlots;
  }
  throw new FormatError("histogram value has no `slots` array member");
}

/** Counts as numbers (u64 counts stay exact up to 2^53). */
export function slotCounts(slots: HistSlots): number[] {
  return Array.from(slots, Number);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Name/value pairs of a decoded struct; any other value is one member named `""`. */
function members(v: unknown): [string, unknown][] {
  return isRecord(v) ? Object.entries(v) : [["", v]];
}
