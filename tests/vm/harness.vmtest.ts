/**
 * Self-test of the qemu harness (boots real guests; run with `deno task test:vm-harness`, not
 * picked up by the default `deno test`): exit codes come out exactly, and a panic or a hang is a
 * failure with its reason, never a pass.
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { BOOKWORM_6_1 } from "./kernel.ts";
import { runInVm, type VmResult } from "./qemu.ts";

function show(r: VmResult): string {
  return `code=${r.code} reason=${r.reason} wall=${(r.wallMs / 1000).toFixed(1)}s\n` +
    r.output.slice(-2000);
}

Deno.test("guest `true` exits 0", async () => {
  const r = await runInVm(BOOKWORM_6_1, { command: "true", timeoutMs: 120_000 });
  assert.equal(r.code, 0, show(r));
  assert.equal(r.reason, undefined, show(r));
});

Deno.test("guest `exit 7` exits 7, and the command runs in the host checkout", async () => {
  const r = await runInVm(BOOKWORM_6_1, {
    command: "test -f deno.json || exit 99; uname -r; exit 7",
    timeoutMs: 120_000,
  });
  assert.equal(r.code, 7, show(r));
  assert.match(r.reason ?? "", /exited with 7/);
  assert.match(r.output, /^6\.1\./m, show(r));
});

Deno.test("a kernel panic is a failure whose reason names the panic", async () => {
  const r = await runInVm(BOOKWORM_6_1, {
    command: "echo c > /proc/sysrq-trigger; sleep 5; exit 0",
    timeoutMs: 120_000,
  });
  assert.equal(r.code, null, show(r));
  assert.match(r.reason ?? "", /panic/i, show(r));
});

Deno.test("a hanging guest times out and qemu is killed", async () => {
  const r = await runInVm(BOOKWORM_6_1, { command: "sleep 1000", timeoutMs: 15_000 });
  assert.equal(r.code, null, show(r));
  assert.match(r.reason ?? "", /^timeout/, show(r));
  assert.ok(r.wallMs < 30_000, show(r));
  assert.ok(r.qemuPid !== undefined && !existsSync(`/proc/${r.qemuPid}`), "qemu still running");
});
