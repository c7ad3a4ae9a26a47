/**
 * What `ecli trace --count-by` and `--hist` print: the handlers that turn each sampling round
 * of the kernel's `counts` hash map or `hist` array into sorted key/count lines or a log2
 * histogram, and print the final state once more when the run ends (as bpftrace prints its
 * maps at exit), unless it was just printed.
 * @module
 */
import { formatLog2Hist, formatTimeOfDay, plainText } from "../format/mod.ts";
import type { HandlerObject, MapHandle } from "../handler/mod.ts";

type Ctx = { emit(v: unknown): void; maps: Record<string, MapHandle> };

/** One counted value: the field's value and how often it was seen. */
export interface Count {
  /** The field's value. */
  key: unknown;
  /** Events with it. */
  count: bigint;
}

/** Counts sorted by count, largest first, then by key. */
export function sortCounts(counts: Count[]): Count[] {
  return counts.sort((a, b) =>
    a.count !== b.count
      ? (a.count > b.count ? -1 : 1)
      : plainText(a.key) < plainText(b.key)
      ? -1
      : 1
  );
}

/**
 * The count lines of one round: the time, then `VALUE COUNT` per value, the values padded to
 * one column (`json`/csv/…: one `{FIELD, count}` object per value instead).
 */
export function formatCounts(field: string, counts: Count[], now = Date.now()): string {
  const keys = counts.map((c) => plainText(c.key));
  const width = Math.max(field.length, ...keys.map((k) => k.length)) + 2;
  let out = `${formatTimeOfDay(now)}\n${field.toUpperCase().padEnd(width)}COUNT\n`;
  keys.forEach((k, i) => out += `${k.padEnd(width)}${counts[i].count}\n`);
  return out;
}

function toCounts(field: string, entries: { key: unknown; value: unknown }[]): Count[] {
  return sortCounts(entries.map((e) => ({
    key: (e.key as Record<string, unknown>)[field],
    count: BigInt(e.value as number | bigint),
  })));
}

/** The `--count-by FIELD` handler; `lines` false emits objects (JSON and record formats). */
export function countsHandler(field: string, lines: boolean): HandlerObject {
  let last = "";
  const print = (entries: { key: unknown; value: unknown }[], ctx: Ctx) => {
    const counts = toCounts(field, entries);
    const id = counts.map((c) => `${plainText(c.key)}=${c.count}`).join("\n");
    if (counts.length === 0 || id === last) return;
    last = id;
    if (lines) ctx.emit(formatCounts(field, counts).replace(/\n$/, ""));
    else for (const c of counts) ctx.emit({ [field]: c.key, count: c.count });
  };
  return {
    sample: (entries, ctx) => print(entries as { key: unknown; value: unknown }[], ctx as Ctx),
    stop(ctx) {
      const c = ctx as Ctx;
      const map = c.maps.counts;
      if (map) print(map.entries().map(([key, value]) => ({ key, value })), c);
    },
  };
}

/** The `--hist FIELD` handler; `lines` false emits `{FIELD, slots}` objects. */
export function histHandler(field: string, lines: boolean): HandlerObject {
  let last = "";
  const print = (value: unknown, ctx: Ctx) => {
    const slots = (value as { slots: (number | bigint)[] } | undefined)?.slots;
    if (!slots) return;
    const text = formatLog2Hist(slots, field);
    if (text === "" || text === last) return;
    last = text;
    if (lines) ctx.emit(`${formatTimeOfDay(Date.now())}\n${text.replace(/\n$/, "")}`);
    else ctx.emit({ hist: field, slots: slots.map(Number) });
  };
  return {
    sample: (entries, ctx) => print((entries as { value: unknown }[])[0]?.value, ctx as Ctx),
    stop(ctx) {
      const c = ctx as Ctx;
      if (c.maps.hist) print(c.maps.hist.get(0), c);
    },
  };
}
