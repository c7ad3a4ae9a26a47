/**
 * A linear histogram for `linear_hist` sample maps, which upstream cannot print as text. The
 * layout follows libbpf-tools/bcc `print_linear_hist` (one row per slot, labelled
 * `base + i * step`), with two choices of ours: rows run from the first to the last non-zero
 * slot with the zero rows between kept (gaps stay visible), and the header spacing matches
 * our log2 histogram (`distribution` above the bar):
 * ```
 *      value         : count    distribution
 *         0          : 3        |****************************************|
 *         1          : 0        |                                        |
 *         2          : 1        |*************                           |
 * ```
 * @module
 */
import {
  distributionBar,
  formatHistKeyLines,
  type HistSlots,
  histSlots,
  slotCounts,
} from "./histogram.ts";

/** How slots map to values in a linear histogram. */
export interface LinearHistOptions {
  /** Column title (default `value`). */
  unit?: string;
  /** Value of slot 0 (default 0). */
  base?: number;
  /** Width of one slot (default 1). */
  step?: number;
}

/** The histogram text, one `\n`-terminated line per row; `""` when every slot is zero. */
export function formatLinearHist(slots: HistSlots, opts: LinearHistOptions = {}): string {
  const { unit = "value", base = 0, step = 1 } = opts;
  const vals = slotCounts(slots);
  let idxMin = -1;
  let idxMax = -1;
  let valMax = 0;
  for (let i = 0; i < vals.length; i++) {
    if (vals[i] > 0) {
      if (idxMin < 0) idxMin = i;
      idxMax = i;
    }
    if (vals[i] > valMax) valMax = vals[i];
  }
  if (idxMax < 0) return "";
  let out = `     ${unit.padEnd(13)} : count    distribution\n`;
  for (let i = idxMin; i <= idxMax; i++) {
    out += `        ${String(base + i * step).padEnd(10)} : ${String(vals[i]).padEnd(8)} |` +
      `${distributionBar(vals[i], valMax, 40)}|\n`;
  }
  return out;
}

/**
 * One sampled entry of a `linear_hist` map, laid out like `formatLog2HistEntry`: key lines,
 * a blank line, the histogram, a blank line.
 */
export function formatLinearHistEntry(
  key: unknown,
  value: unknown,
  opts: LinearHistOptions = {},
): string {
  return `${formatHistKeyLines(key, value)}\n${formatLinearHist(histSlots(value), opts)}\n`;
}
