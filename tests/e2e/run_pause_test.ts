/**
 * `ecli run`: Ctrl-Z (SIGTSTP) pauses (links detached, programs and maps kept, no events) and
 * Ctrl-Z again resumes (links re-attached, events again), as upstream's loader does.
 * @module
 */
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { compileExample } from "../support/build.ts";
import { sleep, startRun, waitFor } from "../support/cli.ts";
import {
  bpfLinkIdsOf,
  bpfProgramIdsOf,
  hasPerfEventLinks,
  kernelTest,
  trigger,
  uniqueTrue,
  until,
} from "../support/kernel.ts";

kernelTest("ecli run: Ctrl-Z detaches and re-attaches, saying so on stderr", async () => {
  const pkg = await compileExample("procsnoop", mkdtempSync(join(tmpdir(), "ecli-pause-")));
  const run = startRun([pkg, "--json"]);
  await run.attached;
  const progs = bpfProgramIdsOf(run.pid);
  const links = bpfLinkIdsOf(run.pid);
  // Before 5.15 tracepoints attach without a link: then only the events tell.
  const linked = hasPerfEventLinks() ? 2 : 0;
  assert.equal(links.length, linked, `links ${links}`);
  const before = uniqueTrue("tstpa");
  await trigger(before.path);
  await waitFor(run, (o) => o.includes(before.path));

  Deno.kill(run.pid, "SIGTSTP");
  assert.ok(await until(() => bpfLinkIdsOf(run.pid).length === 0), "links still attached");
  assert.deepEqual(bpfProgramIdsOf(run.pid), progs, "programs stay loaded while paused");
  await sleep(300);
  const seen = run.stdout().length;
  const paused = uniqueTrue("tstpb");
  await trigger(paused.path);
  await sleep(500);
  assert.equal(run.stdout().length, seen, "events while paused");

  Deno.kill(run.pid, "SIGTSTP");
  assert.ok(
    await until(() => bpfLinkIdsOf(run.pid).length === linked),
    "links not re-attached",
  );
  const after = uniqueTrue("tstpc");
  await trigger(after.path);
  await waitFor(run, (o) => o.includes(after.path));
  const r = await run.stop("SIGINT");
  assert.equal(r.code, 0, r.stderr);
  assert.ok(r.stdout.includes(after.path), "no events after resume");
  assert.ok(!r.stdout.includes(paused.path), "an event from while paused");
  assert.match(
    r.stderr,
    /^ecli: procsnoop_bpf: paused, programs detached; Ctrl-Z again to resume\necli: procsnoop_bpf: resumed, programs attached again$/m,
  );
});
