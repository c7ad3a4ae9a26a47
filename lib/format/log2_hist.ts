/**
 * The log2 histogram of a sampled map, in the exact text of libbpf-tools' `print_log2_hist`
 * (which upstream ports): slot `i` counts values in `[2^i, 2^(i+1))`, slot 0 reads `0 -> 1`.
 * @module
 */
import {
  distributionBar,
  formatHistKeyLines,
  type HistSlots,
  histSlots,
  slotCounts,
} from "./histogram.ts";

/**
 * The histogram text, one `\n`-terminated line per row up to the last non-zero slot;
 * `""` when every slot is zero. Up to 33 rows the columns are 10 wide with 40-star bars,
 * beyond that 20 wide with 20-star bars:
 * ```
 *      usecs               : count    distribution
 *          0 -> 1          : 1        |                                        |
 *          2 -> 3          : 8        |***                                     |
 * ```
 */
export function formatLog2Hist(slots: HistSlots, unit = "(unit)"): string {
  const vals = slotCounts(slots);
  let idxMax = -1;
  let valMax = 0;
  for (let i = 0; i < vals.length; i++) {
    if (vals[i] > 0) idxMax = i;
    if (vals[i] > valMax) valMax = vals[i];
  }
  if (idxMax < 0) return "";
  const narrow = idxMax <= 32;
  const width = narrow ? 10 : 20;
  const stars = narrow ? 40 : 20;
  let out = `${" ".repeat(narrow ? 5 : 15)}${
    unit.padEnd(narrow ? 19 : 29)
  } : count    distribution\n`;
  for (let i = 0; i <= idxMax; i++) {
    // bigint: rows past 2^53 (and past 2^64, where C's shift is undefined) stay exact.
    const high = (1n << BigInt(i + 1)) - 1n;
    let low = (high + 1n) >> 1n;
    if (low === high) low -= 1n;
    const val = vals[i];
    out += `${String(low).padStart(width)} -> ${String(high).padEnd(width)} : ` +
      `${String(val).padEnd(8)} |${distributionBar(val, valMax, stars)}|\n`;
  }
  return out;
}

/**
 * One sampled entry of a `log2_hist` map as upstream writes it to stdout: the key lines
 * (`formatHistKeyLines`) and the histogram, each followed by the extra newline of the
 * `println!` that prints it. `FormatError` when the value has no `slots`.
 */
export function formatLog2HistEntry(key: unknown, value: unknown, unit = "(unit)"): string {
  return `${formatHistKeyLines(key, value)}\n${formatLog2Hist(histSlots(value), unit)}\n`;
}
