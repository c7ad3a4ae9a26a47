/**
 * `ecli trace` on kernel functions (kernel matrix guests; the host here refuses fentry and has
 * no kprobes): `fentry:`/`fexit:` and `kprobe:`/`kretprobe:` on do_sys_openat2 give the file
 * the test opens with the arguments typed from BTF (dfd -100, an int) and the returned fd.
 */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { runCli, startCli, waitFor } from "../support/cli.ts";
import { featureTest } from "../support/features.ts";
import { scratchDir, trigger } from "../support/kernel.ts";

/** Traces `probes` while cat opens a unique file; returns cat's pid and the JSON events. */
async function traceCat(probes: string[]) {
  const file = join(scratchDir(), `fn-traced-${Deno.pid}`);
  writeFileSync(file, "x");
  // Built first (parsing the kernel's BTF and clang are slow under emulation): the run then
  // takes the package from the build cache and attaches within the start-up timeout.
  const built = await runCli(["trace", ...probes, "--types", join(scratchDir(), "t.d.ts")]);
  assert.equal(built.code, 0, built.stderr);
  const run = startCli([
    "trace",
    ...probes,
    "--filter",
    `e.filename == ${JSON.stringify(file)}`,
    "--format",
    "json",
  ]);
  await run.attached;
  const { pid } = await trigger("/bin/cat", [file]);
  await waitFor(run, (o) => o.split("\n").length > probes.length, 20_000);
  const r = await run.stop();
  assert.equal(r.code, 0, r.stderr);
  const events = r.stdout.trim().split("\n").map((l) => JSON.parse(l));
  return { pid, file, events };
}

featureTest("ecli trace fentry/fexit: typed arguments and the returned fd", "fentry", async () => {
  const { pid, file, events } = await traceCat(["fentry:do_sys_openat2", "fexit:do_sys_openat2"]);
  assert.deepEqual(
    events.map((e) => [e.probe, e.pid, e.comm, e.dfd, e.filename, "how" in e]),
    [
      ["fentry:do_sys_openat2", pid, "cat", -100, file, true],
      ["fexit:do_sys_openat2", pid, "cat", -100, file, true],
    ],
  );
  assert.ok(events[1].ret >= 3, `fd ${events[1].ret}`);
});

featureTest(
  "ecli trace kprobe: typed arguments from BTF through BPF_KPROBE",
  "kprobe",
  async () => {
    const { pid, file, events } = await traceCat(["kprobe:do_sys_openat2"]);
    assert.deepEqual(
      events.map((e) => [e.pid, e.comm, e.dfd, e.filename]),
      [[pid, "cat", -100, file]],
    );
  },
);
