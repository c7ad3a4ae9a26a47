/**
 * `ecc --btfgen` / `--btf-from` and `ecli info|run package.tar` through the CLI: the tar's
 * exact layout (upstream's), the kernels `info` lists, and bad tars as one error line.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readTar, writeTar } from "../../lib/package/mod.ts";
import { ROOT, runCli } from "../support/cli.ts";
import { buildBtfArchive, cachedKernels } from "../vm/btf_archive.ts";

const work = mkdtempSync(join(tmpdir(), "ecli-btfgen-cli-"));
const EX = `${ROOT}/examples/procsnoop`;
/** `ecli compile` of procsnoop with its event header. */
const ECC = ["compile", `${EX}/procsnoop.bpf.c`, `${EX}/procsnoop.h`];
const HAS_BTF = (() => {
  try {
    return readFileSync("/sys/kernel/btf/vmlinux").length > 0;
  } catch {
    return false;
  }
})();

/** One cached matrix kernel (as `.btf.tar.xz`) and the host's BTF (raw `.btf`). */
let built: Promise<{ dir: string; out: string; keys: string[]; stderr: string }> | undefined;
function btfgenPackage() {
  built ??= (async () => {
    const archive = join(work, "archive");
    const keys = buildBtfArchive(archive, cachedKernels().slice(0, 1));
    const out = join(work, "out");
    const r = await runCli([...ECC, "-o", out, "--btfgen", "--btfhub-archive", archive]);
    assert.equal(r.code, 0, r.stderr);
    return { dir: archive, out, keys, stderr: r.stderr };
  })();
  return built;
}

async function runLine(args: string[]): Promise<string> {
  const r = await runCli(args);
  assert.equal(r.code, 1, r.stdout + r.stderr);
  const lines = r.stderr.trimEnd().split("\n");
  assert.equal(lines.length, 1, r.stderr);
  return lines[0];
}

Deno.test({
  name: "ecc --btfgen: package.tar in upstream's layout, ecli info lists its kernels",
  ignore: !HAS_BTF,
  async fn() {
    const { out, keys, stderr } = await btfgenPackage();
    const tar = readTar(new Uint8Array(readFileSync(join(out, "package.tar"))));
    assert.deepEqual(tar.map((e) => e.name), [
      ...keys.map((k) => `btfhub-archive/${k}`),
      "package.json",
      "procsnoop",
    ]);
    assert.deepEqual(tar.at(-1)!.data, new Uint8Array(readFileSync(join(out, "procsnoop.bpf.o"))));
    assert.deepEqual(
      JSON.parse(new TextDecoder().decode(tar.at(-2)!.data)),
      JSON.parse(readFileSync(join(out, "package.json"), "utf8")),
    );
    const kernels = `${keys.length} kernel${keys.length === 1 ? "" : "s"}`;
    const total = tar.slice(0, -2).reduce((n, e) => n + e.data.length, 0);
    assert.match(
      stderr,
      new RegExp(
        `ecc: wrote ${out}/package.tar \\(tailored BTF for ${kernels}, ${total} bytes\\)\n$`,
      ),
    );
    // GNU tar agrees on the entries.
    const gnu = spawnSync("tar", ["tf", join(out, "package.tar")], { encoding: "utf8" });
    assert.ok(keys.every((k) => gnu.stdout.includes(`btfhub-archive/${k}\n`)), gnu.stdout);
    const info = await runCli(["info", join(out, "package.tar")]);
    assert.equal(info.code, 0, info.stderr);
    const lines = info.stdout.split("\n");
    const at = lines.indexOf(`  tailored BTF for ${kernels}:`);
    assert.ok(at > 0, info.stdout);
    assert.deepEqual(
      lines.slice(at + 1).filter((l) => l).map((l) => l.trim().split(/\s+/)[0]),
      keys,
    );
  },
});

Deno.test({
  name: "ecc --btf-from: a named file, and a file it cannot place is one error line",
  ignore: !HAS_BTF,
  async fn() {
    const out = join(work, "from");
    const r = await runCli([
      ...ECC,
      "-o",
      out,
      "--btf-from",
      "ubuntu/20.04/x86_64/5.4.0-1-generic.btf=/sys/kernel/btf/vmlinux",
    ]);
    assert.equal(r.code, 0, r.stderr);
    const tar = readTar(new Uint8Array(readFileSync(join(out, "package.tar"))));
    assert.equal(tar[0].name, "btfhub-archive/ubuntu/20.04/x86_64/5.4.0-1-generic.btf");
    const bad = await runLine([
      "compile",
      `${EX}/procsnoop.bpf.c`,
      "-o",
      out,
      "--btf-from",
      "/etc/hostname",
    ]);
    assert.equal(
      bad,
      "ecc: error: --btf-from /etc/hostname: cannot tell which kernel it is for; write ID/VERSION_ID/ARCH/RELEASE.btf=/etc/hostname",
    );
    const none = await runLine([
      "compile",
      `${EX}/procsnoop.bpf.c`,
      "-o",
      out,
      "--btfgen",
      "--btfhub-archive",
      join(work, "nope"),
    ]);
    assert.match(none, /^ecc: error: btfhub archive .*\/nope: no such directory/);
  },
});

Deno.test({
  name: "ecli run package.tar: corrupt .btf, no package.json, truncated tar: one line, exit 1",
  ignore: !HAS_BTF,
  async fn() {
    const { out, keys } = await btfgenPackage();
    const entries = readTar(new Uint8Array(readFileSync(join(out, "package.tar"))));
    const write = (name: string, bytes: Uint8Array) => {
      const p = join(work, name);
      writeFileSync(p, bytes);
      return p;
    };
    const corrupt = write(
      "corrupt.tar",
      writeTar(
        entries.map((e, i) =>
          i === 0
            ? { ...e, data: new TextEncoder().encode("not BTF at all: a text file of 40 bytes.") }
            : e
        ),
      ),
    );
    assert.equal(
      await runLine(["run", corrupt]),
      `ecli: error: ${corrupt}: btfhub-archive/${keys[0]}: not valid BTF (bad BTF magic 0x6f6e)`,
    );
    const noPkg = write("nopkg.tar", writeTar(entries.filter((e) => e.name !== "package.json")));
    assert.equal(
      await runLine(["run", noPkg]),
      `ecli: error: ${noPkg}: no package.json in the tar (it has: ${
        [...keys.map((k) => `btfhub-archive/${k}`), "procsnoop"].join(", ")
      })`,
    );
    const full = readFileSync(join(out, "package.tar"));
    const cut = write("cut.tar", new Uint8Array(full.subarray(0, full.length - 4096)));
    assert.match(
      await runLine(["run", cut]),
      new RegExp(`^ecli: error: ${cut}: truncated tar: entry 'procsnoop' needs \\d+ bytes`),
    );
    assert.match(await runLine(["info", cut]), /truncated tar/);
  },
});
