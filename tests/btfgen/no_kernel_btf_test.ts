/**
 * Kernels without BTF, on every kernel of the matrix: `/sys/kernel/btf` is hidden under an
 * empty tmpfs in a private mount namespace (`unshare -m`), and `/etc/os-release` says the
 * distribution the kernel ships in. `package.tar` from `ecc --btfgen` over an archive of the
 * matrix kernels (`ECLI_TEST_BTF_ARCHIVE`, built on the host: guests run no clang) must then
 * run procsnoop with correct CO-RE reads (ppid through `real_parent->tgid`, `exit_code`); the
 * bare package.json and a tar without this kernel fail with one clear line; `BTF_FILE_PATH`
 * pointing at the tailored file works.
 */
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { release, tmpdir } from "node:os";
import { join } from "node:path";
import { readTar, writeTar } from "../../lib/package/mod.ts";
import { compileForTest } from "../support/build.ts";
import { type CliResult, ROOT, startFollowed, waitFor } from "../support/cli.ts";
import { kernelTest, trigger, uniqueCopy } from "../support/kernel.ts";
import { buildBtfArchive } from "../vm/btf_archive.ts";

const work = mkdtempSync(join(tmpdir(), "ecli-nobtf-"));
const EX = `${ROOT}/examples/procsnoop`;

/** The matrix's archive, or (outside the matrix) one of the running kernel's BTF. */
function archiveDir(): string {
  const fromMatrix = Deno.env.get("ECLI_TEST_BTF_ARCHIVE");
  if (fromMatrix) return fromMatrix;
  const dir = join(work, "archive");
  buildBtfArchive(dir, []);
  return dir;
}

let built: Promise<{ tar: string; json: string; key: string; btf: Uint8Array }> | undefined;
/** procsnoop's package.tar (from the build cache in the guests) and this kernel's entry. */
function procsnoop() {
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
function runWithoutKernelBtf(key: string, args: string[], env?: Record<string, string>) {
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
  ], { cwd: ROOT, env });
}

/** Runs procsnoop, execs a marker and `sh -c "exit 3"`, and checks the decoded events. */
async function assertDecodes(run: ReturnType<typeof runWithoutKernelBtf>): Promise<CliResult> {
  await run.attached;
  const marker = uniqueCopy("/bin/true", "nobtf");
  const exec = await trigger(marker.path);
  const sh = await trigger("sh", ["-c", "exit 3"]);
  await waitFor(run, (o) => o.includes(`"pid":${sh.pid},`) && o.includes('"exit_code":3'), 20_000);
  const r = await run.stop("SIGINT");
  assert.equal(r.code, 0, r.stderr);
  const events = r.stdout.split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l));
  const start = events.find((e) => e.pid === exec.pid && e.exit_event === false);
  assert.ok(start, `no exec event for ${exec.pid}:\n${r.stdout}`);
  assert.equal(start.filename, marker.path);
  assert.equal(start.comm, marker.comm);
  assert.equal(start.ppid, Deno.pid, "real_parent->tgid read through the tailored BTF");
  const exit = events.find((e) => e.pid === sh.pid && e.exit_event === true);
  assert.equal(exit?.exit_code, 3, "exit_code read through the tailored BTF");
  return r;
}

kernelTest(
  "no kernel BTF: package.tar from ecc --btfgen runs and decodes with its own BTF",
  async () => {
    const { tar, key } = await procsnoop();
    const r = await assertDecodes(runWithoutKernelBtf(key, [tar, "--json", "--verbose"]));
    assert.match(
      r.stderr,
      new RegExp(`kernel BTF from the package: ${key.replaceAll("+", "\\+")}`),
    );
  },
);

kernelTest("no kernel BTF: BTF_FILE_PATH with the tailored file runs package.json", async () => {
  const { json, key, btf } = await procsnoop();
  const file = join(work, "tailored.btf");
  writeFileSync(file, btf);
  await assertDecodes(runWithoutKernelBtf(key, [json, "--json"], { BTF_FILE_PATH: file }));
});

kernelTest(
  "no kernel BTF: package.json alone, or a tar without this kernel: one line, exit 1",
  async () => {
    const { tar, json, key } = await procsnoop();
    const bare = await runWithoutKernelBtf(key, [json]).done;
    assert.equal(bare.code, 1, bare.stderr);
    assert.equal(
      bare.stderr,
      "ecli: error: kernel BTF not found: /sys/kernel/btf/vmlinux is missing (kernel without CONFIG_DEBUG_INFO_BTF?); set BTF_FILE_PATH to a BTF file for this kernel\n",
    );
    const others = readTar(Deno.readFileSync(tar)).filter((e) =>
      !e.name.endsWith(`/${release()}.btf`)
    );
    const held = others.filter((e) => e.name.endsWith(".btf")).map((e) => e.name.slice(15)).sort();
    const lacking = join(work, "lacking.tar");
    writeFileSync(lacking, writeTar(others));
    const miss = await runWithoutKernelBtf(key, [lacking]).done;
    assert.equal(miss.code, 1, miss.stderr);
    const shown = held.length > 4
      ? `${held.slice(0, 4).join(", ")} and ${held.length - 4} more`
      : held.join(", ") || "no BTF files";
    assert.equal(
      miss.stderr,
      `ecli: error: kernel ${release()} has no BTF (/sys/kernel/btf/vmlinux is missing) and the package has none for ${key} (it holds ${shown}); set BTF_FILE_PATH or --btf\n`,
    );
  },
);
