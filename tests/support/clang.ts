/**
 * Test support: compile small C sources into BPF objects with the system clang, so unit tests
 * parse objects they built themselves (no checked-in binaries).
 * @module
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { includeRoot } from "../../compile/headers.ts";
import { targetArch } from "../../compile/toolchain.ts";
import { vmlinuxHeader } from "../../compile/vmlinux.ts";

/**
 * Compiles `source` with `clang -g -O2 -target bpf` and returns the object bytes. With
 * `vmlinux`, the source may include "vmlinux.h" (ecc's header, from the kernel's BTF).
 */
export function compileBpf(
  source: string,
  extraArgs: string[] = [],
  opts: { vmlinux?: boolean } = {},
): Uint8Array {
  const dir = mkdtempSync(join(tmpdir(), "ecli-test-"));
  try {
    const src = join(dir, "t.bpf.c");
    const obj = join(dir, "t.bpf.o");
    writeFileSync(src, source);
    const r = spawnSync("clang", [
      "-g",
      "-O2",
      "-target",
      "bpf",
      `-I${includeRoot()}`,
      ...(opts.vmlinux
        ? [`-I${vmlinuxHeader(targetArch()).dir}`, `-D__TARGET_ARCH_${targetArch()}`]
        : []),
      ...extraArgs,
      "-c",
      src,
      "-o",
      obj,
    ], { encoding: "utf8" });
    if (r.status !== 0) throw new Error(`clang failed:\n${r.stderr}`);
    return new Uint8Array(readFileSync(obj));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Whether this run must not skip kernel/toolchain tests (CI). */
export const IN_CI = Deno.env.get("CI") === "true";

/** Compiles a host C program with clang, runs it, and returns what it wrote to stdout. */
export function nativeStdout(source: string): Uint8Array {
  const dir = mkdtempSync(join(tmpdir(), "ecli-native-"));
  try {
    writeFileSync(join(dir, "prog.c"), source);
    const cc = spawnSync("clang", ["-O1", "-o", join(dir, "prog"), join(dir, "prog.c")], {
      encoding: "utf8",
    });
    if (cc.status !== 0) throw new Error(`clang failed:\n${cc.stderr}`);
    const run = spawnSync(join(dir, "prog"));
    if (run.status !== 0) throw new Error(`prog exited with ${run.status}`);
    return new Uint8Array(run.stdout);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
