/**
 * Test support for kernels without BTF: procsnoop's `package.tar` from `ecc --btfgen` over the
 * test archive, and `ecli run` in a private mount namespace where `/sys/kernel/btf` is an empty
 * tmpfs and `/etc/os-release` names the distribution the kernel ships in.
 * @module
 */
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { release, tmpdir } from "node:os";
import { join } from "node:path";
import { readTar } from "../../lib/package/mod.ts";
import { compileForTest } from "../support/build.ts";
import { ROOT, startFollowed } from "../support/cli.ts";
import { buildBtfArchive } from "../vm/btf_archive.ts";

/** Scratch directory of the module. */
export const work = mkdtempSync(join(tmpdir(), "ecli-nobtf-"));
const EX = `${ROOT}/examples/procsnoop`;

/** The matrix's archive, or (outside the matrix) one of the running kernel's BTF. */
export function archiveDir(): string {
  const fromMatrix = Deno.env.get("ECLI_TEST_BTF_ARCHIVE");
  if (fromMatrix) return fromMatrix;
  const dir = join(work, "archive");
  buildBtfArchive(dir, []);
  return dir;
}

let built: Promise<{ tar: string; json: string; key: string; btf: Uint8Array }> | undefined;
/** procsnoop's package.tar (from the build cache in the guests) and this kernel's entry. */
export function procsnoop() {
  built ??= (async () => {
    const r = await compileForTest({
      source: `${EX}/procsnoop.bpf.c`,
      exportHeader: `${EX}/procsnoop.h`,
      outputDir: join(work, "procsnoop"),
      btfgen: true,
      btfhubArchive: archiveDir(),
    });
    const tar = r.files.tar!;
    const entries = readTar(Deno.readFileSync(tar));
    const mine = entries.find((e) => e.name.endsWith(`/x86_64/${release()}.btf`));
    assert.ok(mine, `the archive has no BTF for ${release()}: ${entries.map((e) => e.name)}`);
    return {
      tar,
      json: r.files.package!,
      key: mine.name.slice("btfhub-archive/".length),
      btf: mine.data,
    };
  })();
  return built;
}

/** `ecli run ARGS` where the kernel shows no BTF and os-release names `key`'s distribution. */
export function runWithoutKernelBtf(key: string, args: string[], env?: Record<string, string>) {
  const [id, version] = key.split("/");
  const osRelease = join(work, `os-release-${id}-${version}`);
  writeFileSync(osRelease, `ID=${id}\nVERSION_ID="${version}"\n`);
  const script = 'mount -t tmpfs none /sys/kernel/btf && mount --bind "$0" /etc/os-release && ' +
    'test ! -e /sys/kernel/btf/vmlinux && exec "$@"';
  return startFollowed("unshare", [
    "-m",
    "--propagation",
    "private",
    "sh",
    "-c",
    script,
    osRelease,
    Deno.execPath(),
    "run",
    "-A",
    `${ROOT}/cli.ts`,
    "run",
    ...args,
    // Under TCG on a busy machine one ecli start can take most of the default 30 s.
  ], { cwd: ROOT, env, attachMs: 120_000 });
}
