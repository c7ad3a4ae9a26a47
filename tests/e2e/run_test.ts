/**
 * `ecli run` end to end on the real kernel: compile the bundled examples, run them in the
 * background, trigger the probes, and assert decoded values, output text and teardown.
 */
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runCli, startRun, waitFor } from "../support/cli.ts";
import {
  bpfProgramIdsOf,
  kernelTest,
  loadedProgramIds,
  trigger,
  uniqueCopy,
} from "../support/kernel.ts";
import { compileExample } from "../support/build.ts";

const work = mkdtempSync(join(tmpdir(), "ecli-run-e2e-"));

/** Compiles an example once (lazily, so a skipped suite compiles nothing). */
const packages = new Map<string, Promise<string>>();
function example(name: string): Promise<string> {
  if (!packages.has(name)) packages.set(name, compileExample(name, work));
  return packages.get(name)!;
}

function jsonLines(text: string): Record<string, unknown>[] {
  return text.split("\n").filter((l) => l.trim()).map((l) => JSON.parse(l));
}

kernelTest("procsnoop --json: exec and exit events with decoded fields", async () => {
  const pkg = await example("procsnoop");
  const marker = uniqueCopy("/bin/true", "pmark");
  const run = startRun([pkg, "--json"]);
  await run.attached;
  const exec = await trigger(marker.path);
  const sh = await trigger("sh", ["-c", "exit 3"]);
  await waitFor(run, (o) => o.includes(`"pid":${sh.pid},`) && o.includes('"exit_code":3'));
  const r = await run.stop("SIGINT");
  assert.equal(r.code, 0, r.stderr);
  const events = jsonLines(r.stdout);
  const mine = events.filter((e) => e.pid === exec.pid);
  assert.deepEqual(mine.map((e) => [e.comm, e.filename, e.exit_event, e.exit_code]), [
    [marker.comm, marker.path, false, 0],
    [marker.comm, "", true, 0],
  ]);
  assert.equal(mine[0].ppid, Deno.pid);
  assert.ok((mine[1].duration_ns as number) > 0, "exit carries the lifetime");
  const shExit = events.find((e) => e.pid === sh.pid && e.exit_event === true);
  assert.ok(shExit, `no exit event for sh ${sh.pid}`);
  assert.equal(shExit.exit_code, 3);
  assert.deepEqual(Object.keys(mine[0]), [
    "pid",
    "ppid",
    "exit_code",
    "duration_ns",
    "comm",
    "filename",
    "exit_event",
  ]);
});

kernelTest("procsnoop plain text: upstream's header and aligned rows", async () => {
  const pkg = await example("procsnoop");
  const marker = uniqueCopy("/bin/true", "tmark");
  const run = startRun([pkg]);
  await run.attached;
  const { pid } = await trigger(marker.path);
  await waitFor(
    run,
    (o) => o.includes(`${marker.comm}          true`) || o.includes(`${marker.path} false`),
  );
  const r = await run.stop();
  const lines = r.stdout.split("\n");
  assert.equal(
    lines[0],
    "TIME     PID    PPID   EXIT_CODE DURATION_NS COMM   FILENAME EXIT_EVENT ",
  );
  const row = lines.find((l) => l.includes(marker.path));
  assert.ok(row, r.stdout);
  assert.match(
    row,
    new RegExp(
      `^\\d\\d:\\d\\d:\\d\\d  ${pid} +${Deno.pid} +0 +0 +${marker.comm} ${marker.path} false$`,
    ),
  );
});

kernelTest(
  "procsnoop --min_duration_ns: a program flag changes what the kernel reports",
  async () => {
    const pkg = await example("procsnoop");
    const quick = uniqueCopy("/bin/true", "qmark");
    const slow = uniqueCopy("/bin/sleep", "smark");
    const run = startRun([pkg, "--json", "--min_duration_ns", "300000000"]);
    await run.attached;
    const q = await trigger(quick.path);
    const s = await trigger(slow.path, ["0.5"]);
    await waitFor(run, (o) => o.includes(`"pid":${s.pid},`));
    const r = await run.stop();
    const events = jsonLines(r.stdout);
    assert.deepEqual(events.filter((e) => e.pid === q.pid), [], "short-lived process filtered out");
    const slowEvents = events.filter((e) => e.pid === s.pid);
    assert.equal(slowEvents.length, 1, "exec events are suppressed, the long exit is kept");
    assert.equal(slowEvents[0].exit_event, true);
    assert.ok((slowEvents[0].duration_ns as number) >= 300_000_000);
  },
);

kernelTest(
  "opensnoop --json: existing and missing files; --enable-failed keeps failures only",
  async () => {
    const pkg = await example("opensnoop");
    const cat = uniqueCopy("/bin/cat", "omark");
    const missing = join(work, "does-not-exist");
    let run = startRun([pkg, "--json"]);
    await run.attached;
    await trigger(cat.path, ["/etc/hostname"]);
    await trigger(cat.path, [missing]);
    await waitFor(run, (o) => o.includes(missing));
    let r = await run.stop();
    let mine = jsonLines(r.stdout).filter((e) => e.comm === cat.comm);
    const ok = mine.find((e) => e.fname === "/etc/hostname");
    const bad = mine.find((e) => e.fname === missing);
    assert.ok(ok && bad, r.stdout);
    assert.ok((ok.ret as number) >= 0);
    assert.equal(bad.ret, -2);
    assert.equal(ok.uid, 0);
    assert.equal(ok.ts, 0);

    run = startRun([pkg, "--json", "--enable-failed"]);
    await run.attached;
    await trigger(cat.path, ["/etc/hostname"]);
    await trigger(cat.path, [missing]);
    await waitFor(run, (o) => o.includes(missing));
    r = await run.stop();
    mine = jsonLines(r.stdout).filter((e) => e.comm === cat.comm);
    assert.ok(mine.some((e) => e.fname === missing));
    assert.deepEqual(mine.filter((e) => (e.ret as number) >= 0), [], "successful opens hidden");
  },
);

kernelTest("readsize: a sampled map prints a log2 histogram every interval", async () => {
  const pkg = await example("readsize");
  const dd = uniqueCopy("/bin/dd", "dmark");
  const run = startRun([pkg, "--target_comm", dd.comm]);
  await run.attached;
  const { pid } = await trigger(dd.path, ["if=/dev/zero", "of=/dev/null", "bs=4096", "count=50"]);
  await waitFor(run, (o) => o.includes("4096 -> 8191"), 4000);
  const r = await run.stop();
  assert.ok(
    r.stdout.includes(
      `key =  ${pid}\ncomm = ${dd.comm}\n\n     bytes               : count    distribution\n`,
    ),
    r.stdout,
  );
  assert.match(r.stdout, /^ {6}4096 -> 8191 {7}: 50 {7}\|\*{40}\|$/m);
  // The filter is a char[16] flag: nothing else was counted.
  assert.deepEqual(
    [...r.stdout.matchAll(/^key = +(\d+)$/gm)].map((m) => Number(m[1])).filter((p) => p !== pid),
    [],
  );
});

kernelTest("readsize --json: sampled entries as {key, value}", async () => {
  const pkg = await example("readsize");
  const dd = uniqueCopy("/bin/dd", "jmark");
  const run = startRun([pkg, "--json", "--target_comm", dd.comm]);
  await run.attached;
  const { pid } = await trigger(dd.path, ["if=/dev/zero", "of=/dev/null", "bs=1024", "count=7"]);
  await waitFor(run, (o) => o.includes(dd.comm), 4000);
  const r = await run.stop();
  const entry = jsonLines(r.stdout).find((e) => (e.key as { u32: number }).u32 === pid);
  assert.ok(entry, r.stdout);
  const value = entry.value as { comm: string; slots: number[] };
  assert.equal(value.comm, dd.comm);
  assert.equal(value.slots.length, 32);
  assert.equal(value.slots[10], 7);
});

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  kernelTest(`after ${signal} nothing of ours stays loaded`, async () => {
    const pkg = await example("procsnoop");
    const run = startRun([pkg]);
    await run.attached;
    const ours = bpfProgramIdsOf(run.pid);
    assert.equal(ours.length, 2, "both programs loaded while running");
    const r = await run.stop(signal);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(loadedProgramIds().filter((id) => ours.includes(id)), []);
  });
}

kernelTest("--duration and --count end the run by themselves", async () => {
  const pkg = await example("procsnoop");
  const t0 = Date.now();
  const r = await runCli(["run", pkg, "--duration", "1"]);
  assert.equal(r.code, 0, r.stderr);
  assert.ok(Date.now() - t0 < 15_000);
  const run = startRun([pkg, "--count", "2", "--json"]);
  await run.attached;
  const ours = bpfProgramIdsOf(run.pid);
  const marker = uniqueCopy("/bin/true", "cmark");
  for (let i = 0; i < 3; i++) await trigger(marker.path);
  const done = await run.done;
  assert.equal(done.code, 0, done.stderr);
  assert.equal(jsonLines(done.stdout).length, 2);
  assert.deepEqual(loadedProgramIds().filter((id) => ours.includes(id)), []);
});

Deno.test("ecli run <package> --help prints the program's flags", async () => {
  const pkg = await example("opensnoop");
  const r = await runCli(["run", pkg, "--help"]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(
    r.stdout,
    /^Trace open\(\) and openat\(\) calls: who opened which path, and the result\.$/m,
  );
  assert.match(
    r.stdout,
    /^ {6}--pid_target <PID_TARGET> +Trace only this process id \(0: every process\)$/m,
  );
  assert.match(r.stdout, /^ {6}--enable-failed +Report only failed opens$/m);
});
