/**
 * `ecli run <image ref>` on the real kernel: procsnoop pushed to a docker-registry on
 * 127.0.0.1 and run as `localhost:PORT/…:tag` (an OCI reference, not a URL) decodes the exec of
 * a marker binary; the same package pinned by `@sha256:` runs again from the cache with the
 * registry stopped. The result does not depend on the kernel: host only.
 */
import assert from "node:assert/strict";
import { startRun, waitFor } from "../support/cli.ts";
import { hostKernelTest, trigger, uniqueCopy } from "../support/kernel.ts";
import { type CliUser, ecli, envOf, newUser, procsnoop, registry } from "../support/oci.ts";

/** Runs `ref --json` as `u`, execs a marker, and returns the marker's decoded exec event. */
async function execEventFrom(u: CliUser, ref: string): Promise<Record<string, unknown>> {
  const run = startRun([ref, "--json"], envOf(u));
  await run.attached;
  const marker = uniqueCopy("/bin/true", "ocimark");
  const { pid } = await trigger(marker.path);
  await waitFor(run, (o) => o.includes(`"pid":${pid},`) && o.includes(marker.path));
  const r = await run.stop("SIGINT");
  assert.equal(r.code, 0, r.stderr);
  const events = r.stdout.split("\n").filter((l) => l.includes(`"pid":${pid},`)).map((l) =>
    JSON.parse(l)
  );
  const exec = events.find((e) => e.exit_event === false);
  assert.ok(exec, `no exec event for ${marker.path} in:\n${r.stdout.slice(0, 2000)}`);
  assert.equal(exec.comm, marker.comm);
  assert.equal(exec.filename, marker.path);
  assert.equal(exec.ppid, Deno.pid);
  return exec;
}

hostKernelTest(
  "ecli run localhost:PORT/name:tag decodes events; @sha256 runs with the registry stopped",
  async () => {
    const reg = await registry();
    const port = reg.host.split(":")[1];
    const u = newUser();
    try {
      const push = await ecli(u, ["push", `localhost:${port}/ebpf/procsnoop:1`, await procsnoop()]);
      assert.equal(push.code, 0, push.stderr);
      const digest = push.stdout.match(/@(sha256:[a-f0-9]{64})/)![1];
      await execEventFrom(u, `localhost:${port}/ebpf/procsnoop:1`);
      await reg.stop();
      await execEventFrom(u, `localhost:${port}/ebpf/procsnoop@${digest}`);
    } finally {
      await reg.stop();
    }
  },
);
