/**
 * Kernels without BTF, on every kernel of the matrix: `/sys/kernel/btf` is hidden under an
 * empty tmpfs in a private mount namespace (`unshare -m`), and `/etc/os-release` says the
 * distribution the kernel ships in. `package.tar` from `ecc --btfgen` over an archive of the
 * matrix kernels (`ECLI_TEST_BTF_ARCHIVE`, built on the host: guests run no clang) must then
 * run procsnoop with correct CO-RE reads (ppid through `real_parent->tgid`, `exit_code`); the
 * bare package.json fails with one clear line (a tar without this kernel: the host-only
 * tar_without_kernel_test.ts); `BTF_FILE_PATH`
 * pointing at the tailored file works.
 */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { type CliResult, waitFor } from "../support/cli.ts";
import { kernelTest, trigger, uniqueCopy } from "../support/kernel.ts";
import { procsnoop, runWithoutKernelBtf, work } from "./hidden_btf.ts";

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

kernelTest("no kernel BTF: package.json alone fails with one line, exit 1", async () => {
  const { json, key } = await procsnoop();
  const bare = await runWithoutKernelBtf(key, [json]).done;
  assert.equal(bare.code, 1, bare.stderr);
  assert.equal(
    bare.stderr,
    "ecli: error: kernel BTF not found: /sys/kernel/btf/vmlinux is missing (kernel without CONFIG_DEBUG_INFO_BTF?); set BTF_FILE_PATH to a BTF file for this kernel\n",
  );
});
