/**
 * Lifecycle cycles for the attach types the host kernel lacks (kprobe, fentry): a few cycles
 * each of the unlinksnoop (kprobe + kretprobe) and unlinklat (fentry + fexit) examples in the
 * kernel matrix's guests, ended by SIGINT, SIGTERM and SIGKILL; afterwards none of their
 * programs may be loaded. Few cycles: TCG guests run JS ~15× slower (budget ~1 min a kernel).
 */
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { compileExample } from "../support/build.ts";
import { startRun } from "../support/cli.ts";
import { type Feature, featureTest } from "../support/features.ts";
import { bpfProgramIdsOf, loadedProgramIds, until } from "../support/kernel.ts";

const work = mkdtempSync(join(tmpdir(), "ecli-lifecycle-kernel-"));
const ENDINGS: Deno.Signal[] = ["SIGINT", "SIGTERM", "SIGKILL"];

for (const [example, feature] of [["unlinksnoop", "kprobe"], ["unlinklat", "fentry"]] as const) {
  featureTest(
    `lifecycle: ${example} (${feature}) start/attach/stop over SIGINT, SIGTERM, SIGKILL`,
    feature as Feature,
    async () => {
      const pkg = await compileExample(example, work);
      for (const signal of ENDINGS) {
        const run = startRun([pkg, "--json"]);
        await run.attached;
        const ours = bpfProgramIdsOf(run.pid);
        assert.equal(ours.length, 2, `${example}: two programs loaded`);
        const r = await run.stop(signal);
        assert.equal(r.code, signal === "SIGKILL" ? 137 : 0, r.stderr);
        // Links die with the process; the kernel frees the programs after an RCU grace period.
        const gone = await until(() => !loadedProgramIds().some((id) => ours.includes(id)), 10_000);
        assert.ok(gone, `${example} after ${signal}: programs ${ours} still loaded`);
      }
    },
  );
}
