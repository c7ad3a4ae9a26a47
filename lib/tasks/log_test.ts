import assert from "node:assert/strict";
import { LogOutput, TaskLog } from "./log.ts";

const texts = (log: TaskLog, from?: number) =>
  log.read(from).map((e) => `${e.cursor}:${e.log.log}`);

Deno.test("TaskLog: the oldest lines are dropped at the cap and counted", () => {
  const log = new TaskLog(3);
  for (const l of ["a", "b", "c", "d", "e"]) log.append(l);
  assert.deepEqual(texts(log), ["2:c", "3:d", "4:e"]);
  assert.equal(log.dropped, 2);
  assert.equal(log.firstCursor, 2);
  assert.equal(log.nextCursor, 5);
  assert.deepEqual(texts(log, 4), ["4:e"]);
  assert.deepEqual(texts(log, 0), ["2:c", "3:d", "4:e"]);
});

Deno.test("TaskLog.poll: upstream's destructive cursor and the 1000-entry maximum", () => {
  const log = new TaskLog(5000);
  for (let i = 0; i < 1500; i++) log.append(`l${i}`);
  assert.equal(log.poll().length, 1000);
  assert.equal(log.poll(undefined, 3).map((e) => e.cursor).join(), "0,1,2");
  assert.equal(log.poll(undefined, 5000).length, 1000);
  // A cursor removes every line below it for good, for every reader.
  assert.deepEqual(log.poll(1498).map((e) => e.log.log), ["l1498", "l1499"]);
  assert.deepEqual(log.poll().map((e) => e.cursor), [1498, 1499]);
  assert.equal(log.dropped, 0);
  assert.deepEqual(log.poll(10_000), []);
  log.append("next");
  assert.deepEqual(log.poll().map((e) => [e.cursor, e.log.log, e.log.log_type]), [
    [1500, "next", "plain"],
  ]);
});

Deno.test("TaskLog.subscribe: every appended line, even past the cap; close once", () => {
  const log = new TaskLog(2);
  const seen: number[] = [];
  let closes = 0;
  const off = log.subscribe((e) => seen.push(e.cursor), () => closes++);
  for (let i = 0; i < 5; i++) log.append(`l${i}`);
  assert.deepEqual(seen, [0, 1, 2, 3, 4]);
  assert.equal(log.dropped, 3);
  off();
  log.append("unseen");
  assert.deepEqual(seen, [0, 1, 2, 3, 4]);
  log.subscribe(() => {}, () => closes++);
  log.close();
  log.close();
  log.append("after close");
  assert.equal(log.nextCursor, 6);
  log.subscribe(() => {}, () => closes++);
  assert.equal(closes, 2);
});

Deno.test("LogOutput: one entry per line, a partial line waits for its newline", () => {
  const log = new TaskLog();
  const out = new LogOutput(log);
  out.write("HEADER\nrow 1\nro");
  out.write("w 2\n");
  out.write("a\n\nb\n");
  assert.deepEqual(log.read().map((e) => e.log.log), ["HEADER", "row 1", "row 2", "a", "", "b"]);
});
