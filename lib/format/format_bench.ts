/**
 * Output-path micro-benchmark: one decoded 64-byte event (`pid, tid, ts, comm, seq, arg0, cpu,
 * flags, extra`, four of them bigints) as a JSON line and as a table row, 1024 per iteration.
 *
 * Run: `deno bench lib/format/format_bench.ts`
 * @module
 */
import { formatTableHeader, formatTableRow, toJsonLine } from "./mod.ts";

const EVENTS = 1024;
const comms = ["bash", "systemd-journal", "kworker/0:1", "deno"];
const events = Array.from({ length: EVENTS }, (_, i) => ({
  pid: 4000 + i,
  tid: 5000 + i,
  ts: 1_700_000_000_000_000_000n + BigInt(i),
  comm: comms[i & 3],
  seq: BigInt(i),
  arg0: 0xffff_ffff_ffff_ffffn,
  cpu: i & 1,
  flags: 0x80000000,
  extra: 42n,
}));
const rows = events.map((e) => Object.values(e));
const { columns } = formatTableHeader(Object.keys(events[0]));
const clock = () => 1_700_000_000_000;
let sink = 0;

Deno.bench("toJsonLine × 1024 events", () => {
  for (const e of events) sink += toJsonLine(e).length;
});

Deno.bench("formatTableRow × 1024 events", () => {
  for (const r of rows) sink += formatTableRow(columns, r, clock).length;
});

addEventListener("unload", () => {
  if (sink === -1) console.log(sink);
});
