/**
 * Host-only half of the no-kernel-BTF checks (the message does not depend on the kernel):
 * a `package.tar` without this kernel's BTF, run with `/sys/kernel/btf` hidden, fails with
 * one line naming the kernel release, the path looked up and what the tar holds.
 */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { release } from "node:os";
import { join } from "node:path";
import { readTar, writeTar } from "../../lib/package/mod.ts";
import { hostKernelTest } from "../support/kernel.ts";
import { procsnoop, runWithoutKernelBtf, work } from "./hidden_btf.ts";

hostKernelTest("no kernel BTF: a tar without this kernel's BTF: one line, exit 1", async () => {
  const { tar, key } = await procsnoop();
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
});
