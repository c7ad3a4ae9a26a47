/**
 * Top files opened per process, printed every second (and once more at the end):
 *
 *   ecli run opensnoop/package.json --handler examples/opensnoop/top_files.ts
 *
 * TOP_INTERVAL_MS changes the period, TOP_N the number of rows.
 */
import process from "node:process";
import type { Context, Handler } from "./opensnoop.d.ts";

const intervalMs = Number(process.env.TOP_INTERVAL_MS ?? 1000);
const rows = Number(process.env.TOP_N ?? 10);
const counts = new Map<string, { comm: string; pid: number; file: string; opens: number }>();
let timer: ReturnType<typeof setInterval> | undefined;

function flush(ctx: Context): void {
  const top = [...counts.values()].sort((a, b) => b.opens - a.opens).slice(0, rows);
  for (const row of top) ctx.emit(row);
  counts.clear();
}

export default {
  start(ctx) {
    timer = setInterval(() => flush(ctx), intervalMs);
  },
  event(e) {
    if (e.ret < 0) return;
    const key = `${e.pid}\0${e.fname}`;
    const entry = counts.get(key);
    if (entry) entry.opens++;
    else counts.set(key, { comm: e.comm, pid: e.pid, file: e.fname, opens: 1 });
  },
  stop(ctx) {
    clearInterval(timer);
    flush(ctx);
  },
} satisfies Handler;
