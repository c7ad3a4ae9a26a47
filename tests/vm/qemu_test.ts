/** Unit tests of the qemu harness's pure parts (no guest is booted here). */
import assert from "node:assert/strict";
import { writeCpio } from "./cpio.ts";
import { moduleDepends } from "./initramfs.ts";
import { interpret, jobScript } from "./qemu.ts";
import { parseJunit, type TestOutcome } from "./junit.ts";
import { type Column, matrixTable, totals } from "./matrix.ts";

Deno.test("interpret: exit status and the rc marker must agree", () => {
  assert.deepEqual(interpret(1, "ECLI-VM: rc=0 uptime=3\n", false, 1000), {
    code: 0,
    reason: undefined,
  });
  assert.equal(interpret(15, "ECLI-VM: rc=7 uptime=3\n", false, 1000).code, 7);
  assert.equal(interpret(1, "ECLI-VM: rc=7 uptime=3\n", false, 1000).code, null);
});

Deno.test("interpret: a panic, silence or a timeout is never a pass", () => {
  const panic = interpret(0, "Kernel panic - not syncing: sysrq triggered crash\n", false, 1000);
  assert.equal(panic.code, null);
  assert.match(panic.reason!, /^kernel panic: Kernel panic - not syncing/);
  assert.match(interpret(0, "", false, 1000).reason!, /never reported/);
  assert.match(interpret(null, "ECLI-VM: rc=0\n", true, 1000).reason!, /^timeout/);
});

Deno.test("jobScript: quoted environment and working directory", () => {
  const s = jobScript({ command: "true", cwd: "/a b", env: { X: "it's" } });
  assert.match(s, /export X='it'\\''s'/);
  assert.match(s, /cd '\/a b' \|\| exit 125/);
});

Deno.test("moduleDepends reads .modinfo's depends=", () => {
  const ko = new TextEncoder().encode("\0license=GPL\0depends=netfs,9pnet\0name=9p\0");
  assert.deepEqual(moduleDepends(ko), ["netfs", "9pnet"]);
  assert.deepEqual(moduleDepends(new TextEncoder().encode("\0depends=\0")), []);
});

Deno.test("writeCpio: newc headers, 4-byte alignment, trailer", () => {
  const out = writeCpio([{ kind: "file", path: "/init", data: new Uint8Array([1, 2, 3]) }]);
  const text = new TextDecoder("latin1").decode(out);
  assert.equal(text.slice(0, 6), "070701");
  assert.equal(out.length % 4, 0);
  assert.ok(text.includes("init\0"));
  assert.ok(text.includes("TRAILER!!!\0"));
});

Deno.test("parseJunit: outcomes per suite file, skip reasons taken off the name", () => {
  const xml = `<testsuites><testsuite name="./tests/e2e/a_test.ts" tests="3">
<testcase name="ok one" classname="./tests/support/kernel.ts" time="0.1" line="1" col="1">
</testcase>
<testcase name="bad &lt;x&gt;" classname="./tests/support/kernel.ts" time="0.1">
<failure message="Uncaught Error: boom &amp; more">Error: boom</failure>
</testcase>
<testcase name="needs kprobe (skipped: no kprobe PMU)" classname="x" time="0.0">
<skipped/>
</testcase></testsuite></testsuites>`;
  assert.deepEqual(parseJunit(xml), [
    { file: "./tests/e2e/a_test.ts", name: "ok one", outcome: "pass" },
    {
      file: "./tests/e2e/a_test.ts",
      name: "bad <x>",
      outcome: "fail",
      detail: "Uncaught Error: boom & more",
    },
    {
      file: "./tests/e2e/a_test.ts",
      name: "needs kprobe",
      outcome: "skip",
      detail: "no kprobe PMU",
    },
  ]);
  assert.throws(() => parseJunit("<testsuites></testsuites>"), /without test cases/);
});

Deno.test("matrixTable: a row per test, '-' where a kernel lacks it; totals count broken runs", () => {
  const col = (label: string, outcomes: TestOutcome[], error?: string): Column => ({
    label,
    release: `${label}.0`,
    wallMs: 61_000,
    outcomes,
    error,
  });
  const t = (name: string, outcome: TestOutcome["outcome"]): TestOutcome => ({
    file: "./a_test.ts",
    name,
    outcome,
  });
  const cols = [col("host", [t("x", "pass"), t("y", "skip")]), col("5.10", [], "timeout")];
  assert.equal(
    matrixTable(cols),
    [
      "| test      | host (host.0) | 5.10 (5.10.0) |",
      "| --------- | ------------- | ------------- |",
      "| x         | pass          | -             |",
      "| y         | skip          | -             |",
      "| wall time | 61 s          | 61 s (FAILED) |",
    ].join("\n"),
  );
  assert.deepEqual(totals(cols), { passed: 1, failed: 1, skipped: 1 });
});
