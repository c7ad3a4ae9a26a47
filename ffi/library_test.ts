import assert from "node:assert/strict";
import { ffi, libbpfVersion } from "./mod.ts";

Deno.test("libbpfVersion takes the patch level from a file name of the same major.minor", () => {
  assert.equal(libbpfVersion(1, 1, "libbpf.so.1.1.2"), "1.1.2");
  assert.equal(libbpfVersion(1, 3, "libbpf.so.1.1.2"), "1.3");
  assert.equal(libbpfVersion(1, 1, "libbpf.so.1"), "1.1");
  assert.equal(libbpfVersion(1, 1), "1.1");
});

Deno.test("the backend says which libbpf it loaded", () => {
  const info = ffi().libbpfInfo;
  assert.match(info.version, /^\d+\.\d+(\.\d+)?$/);
  assert.ok(["system", "embedded", "LIBBPF_PATH"].includes(info.source), info.source);
});
