import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BtfArchive, parseOsRelease } from "./btf_archive.ts";
import { isTar, isTarPackage, readTar, writeTar } from "./tar.ts";

const enc = new TextEncoder();
const work = mkdtempSync(join(tmpdir(), "ecli-tar-"));

Deno.test("tar: ours reads back and GNU tar lists and extracts it", () => {
  const long = `btfhub-archive/${"d".repeat(60)}/12/x86_64/${"6.1.0-57-amd64".repeat(4)}.btf`;
  const entries = [
    { name: "package.json", data: enc.encode("{}") },
    { name: long, data: new Uint8Array(1000).fill(7) },
    { name: "empty", data: new Uint8Array(0) },
  ];
  const tar = writeTar(entries);
  assert.equal(tar.length % 512, 0);
  assert.ok(isTar(tar));
  assert.deepEqual(readTar(tar), entries);
  const file = join(work, "ours.tar");
  writeFileSync(file, tar);
  const list = spawnSync("tar", ["tf", file], { encoding: "utf8" });
  assert.equal(list.status, 0, list.stderr);
  assert.ok(list.stdout.split("\n").includes(long), list.stdout);
  const out = join(work, "x");
  mkdirSync(out);
  assert.equal(spawnSync("tar", ["xf", file, "-C", out]).status, 0);
  assert.deepEqual(new Uint8Array(readFileSync(join(out, long))), entries[1].data);
});

Deno.test("tar: GNU tar's archive (./ paths, GNU long names) reads", () => {
  const dir = join(work, "gnu");
  const deep = `btfhub-archive/ubuntu/20.04/x86_64/${"5.4.0-1009-aws-".repeat(8)}.btf`;
  mkdirSync(join(dir, deep, ".."), { recursive: true });
  writeFileSync(join(dir, deep), "btf");
  writeFileSync(join(dir, "package.json"), "{}");
  const file = join(work, "gnu.tar");
  assert.equal(
    spawnSync("tar", ["--format=gnu", "-cf", file, "-C", dir, "./btfhub-archive", "package.json"])
      .status,
    0,
  );
  const names = readTar(new Uint8Array(readFileSync(file))).map((e) => e.name);
  assert.deepEqual(names.sort(), [deep, "package.json"]);
});

Deno.test("tar: truncated and corrupt archives are one clear error", () => {
  const tar = writeTar([{ name: "package.json", data: new Uint8Array(2000) }]);
  assert.throws(
    () => readTar(tar.subarray(0, 1024)),
    /^PackageError: truncated tar: entry 'package.json' needs 2000 bytes/,
  );
  assert.throws(
    () => readTar(tar.subarray(0, 300)),
    /truncated tar: 300 bytes is not a whole number of 512-byte blocks/,
  );
  const bad = tar.slice();
  bad[0] ^= 1;
  assert.throws(() => readTar(bad), /malformed tar: header checksum mismatch at offset 0/);
  assert.equal(isTarPackage("x.json", new Uint8Array(512)), false);
  assert.equal(isTarPackage("x.tar"), true);
  assert.equal(isTarPackage("pkg", tar), true);
});

Deno.test("btf archive: exact path, arm64 for aarch64, unique release elsewhere, else none", () => {
  const a = new BtfArchive(
    new Map([
      ["debian/11/x86_64/5.10.0-46-amd64.btf", enc.encode("a")],
      ["ubuntu/20.04/arm64/5.4.0-1009-aws.btf", enc.encode("b")],
      ["debian/12/x86_64/6.1.0-57-amd64.btf", enc.encode("c")],
      ["centos/8/x86_64/6.1.0-57-amd64.btf", enc.encode("d")],
    ]),
  );
  const sys = { id: "debian", versionId: "11", machine: "x86_64", release: "5.10.0-46-amd64" };
  assert.equal(a.select(sys)?.key, "debian/11/x86_64/5.10.0-46-amd64.btf");
  assert.equal(
    a.select({ id: "ubuntu", versionId: "20.04", machine: "aarch64", release: "5.4.0-1009-aws" })
      ?.key,
    "ubuntu/20.04/arm64/5.4.0-1009-aws.btf",
  );
  // btfhub spells Debian 11 "bullseye"; a container's os-release is not the host's.
  assert.equal(
    a.select({ ...sys, versionId: "bullseye" })?.key,
    "debian/11/x86_64/5.10.0-46-amd64.btf",
  );
  // Two distributions ship this release: no guessing.
  assert.equal(a.select({ ...sys, versionId: "13", release: "6.1.0-57-amd64" }), undefined);
  assert.equal(a.select({ ...sys, release: "4.19.0-1-amd64" }), undefined);
  assert.equal(
    a.summary(2),
    "centos/8/x86_64/6.1.0-57-amd64.btf, debian/11/x86_64/5.10.0-46-amd64.btf and 2 more",
  );
});

Deno.test("os-release: quoted and bare values", () => {
  assert.deepEqual(parseOsRelease("ID=debian\nVERSION_ID=\"12\"\n# c\nNAME='Debian GNU/Linux'\n"), {
    ID: "debian",
    VERSION_ID: "12",
    NAME: "Debian GNU/Linux",
  });
});
