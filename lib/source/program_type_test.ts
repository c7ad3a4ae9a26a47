import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { detectProgramType, parseProgramType, typeFromContent, typeFromName } from "./mod.ts";

const enc = (s: string) => new TextEncoder().encode(s);

function tarOf(files: Record<string, string>): Uint8Array {
  const dir = mkdtempSync(join(tmpdir(), "ecli-progtype-"));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  const r = spawnSync("tar", ["-cf", join(dir, "out.tar"), "-C", dir, ...Object.keys(files)]);
  assert.equal(r.status, 0);
  return new Uint8Array(readFileSync(join(dir, "out.tar")));
}

Deno.test("program type from the file name", () => {
  assert.equal(typeFromName("a/package.json"), "json");
  assert.equal(typeFromName("package.yml"), "yaml");
  assert.equal(typeFromName("https://h/p.tar?x=1"), "tar");
  assert.equal(typeFromName("prog.WASM"), "wasm");
  assert.equal(typeFromName("package"), undefined);
});

Deno.test("program type from the content", () => {
  assert.equal(typeFromContent(new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0])), "wasm");
  assert.equal(typeFromContent(enc('  {"bpf_object": ""}')), "json");
  assert.equal(typeFromContent(enc("bpf_object: eJy\nbpf_object_size: 3\n")), "yaml");
  assert.equal(typeFromContent(enc("---\nmeta:\n  x: 1\n")), "yaml");
  assert.equal(typeFromContent(tarOf({ "package.json": "{}", "x.btf": "b" })), "tar");
  assert.equal(
    typeFromContent(tarOf({ "other.txt": "x" })),
    undefined,
    "a tar without package.json",
  );
  assert.equal(typeFromContent(new Uint8Array([0x7f, 0x45, 0x4c, 0x46, 0])), undefined);
});

Deno.test("detection order: flag, name, content, media type; none is one clear error", () => {
  const wasm = new Uint8Array([0, 0x61, 0x73, 0x6d]);
  assert.equal(detectProgramType({ source: "x", name: "x.json", bytes: wasm }, "tar"), "tar");
  assert.equal(detectProgramType({ source: "x", name: "x.json", bytes: wasm }), "json");
  assert.equal(detectProgramType({ source: "x", bytes: wasm, mediaTypeType: "json" }), "wasm");
  assert.equal(detectProgramType({ source: "r", bytes: enc("\x01"), mediaTypeType: "tar" }), "tar");
  assert.throws(() => detectProgramType({ source: "blob", bytes: enc("\x01\x02") }), {
    message:
      "blob: cannot tell the program type (not JSON, YAML, a tar with package.json, or wasm); give -p json|yaml|tar|wasm",
  });
  assert.throws(() => parseProgramType("elf"), {
    message: "--prog-type takes json, yaml, tar, wasm, got 'elf'",
  });
});
