/** Unit tests of the qemu harness's pure parts (no guest is booted here). */
import assert from "node:assert/strict";
import { writeCpio } from "./cpio.ts";
import { moduleDepends } from "./initramfs.ts";
import { interpret, jobScript } from "./qemu.ts";

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
