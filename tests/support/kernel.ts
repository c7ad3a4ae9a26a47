/**
 * Test support for tests on the real kernel: skip outside CI (with the reason) where BPF cannot
 * load, never in CI; unique trigger binaries; what the kernel has loaded.
 * @module
 */
import { spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { compileForTest } from "./build.ts";
import { loadPackage, type Package } from "../../lib/package/mod.ts";

/** Whether this run must not skip kernel tests. */
export const IN_CI = Deno.env.get("CI") === "true";

/** Mounts `fstype` at `dir` when nothing is mounted there. */
export function ensureMounted(fstype: string, dir: string): void {
  if (spawnSync("mountpoint", ["-q", dir]).status !== 0) {
    spawnSync("mount", ["-t", fstype, fstype, dir]);
  }
}

/** Mounts tracefs and bpffs when missing (tracepoint attach and bpftool need them). */
function ensureMounts(): void {
  if (!existsSync("/sys/kernel/tracing/events")) {
    spawnSync("mount", ["-t", "tracefs", "tracefs", "/sys/kernel/tracing"]);
  }
  ensureMounted("bpf", "/sys/fs/bpf");
}

/** Why kernel tests cannot run here, or undefined when they can. */
export function kernelSkipReason(): string | undefined {
  if (Deno.uid() !== 0) return "not root";
  if (!existsSync("/sys/kernel/btf/vmlinux")) return "no kernel BTF";
  ensureMounts();
  if (!existsSync("/sys/kernel/tracing/events")) return "no tracefs";
  return undefined;
}

const skip = IN_CI ? undefined : kernelSkipReason();
if (IN_CI) ensureMounts();

/**
 * A kernel test that is ignored when `skip` gives a reason (shown in its name, where the kernel
 * matrix's table reads it back); resources and ops are not sanitized (BPF fds outlive awaits).
 */
export function skippableTest(
  name: string,
  skip: string | undefined,
  fn: () => Promise<void> | void,
): void {
  Deno.test({
    name: skip ? `${name} (skipped: ${skip})` : name,
    ignore: skip !== undefined,
    sanitizeResources: false,
    sanitizeOps: false,
    fn,
  });
}

/** A test on the real kernel: skipped with its reason outside CI, never skipped in CI. */
export function kernelTest(name: string, fn: () => Promise<void> | void): void {
  skippableTest(name, skip, fn);
}

/**
 * A test that needs root and BPF on this machine but whose result does not depend on the
 * kernel version (servers, registries, formats, CLI plumbing): skipped like `kernelTest`
 * outside CI, never in CI, and not part of the kernel matrix (tests/vm/suite.ts looks only for
 * `kernelTest(`/`featureTest(`), so it runs once, on the host.
 */
export function hostKernelTest(name: string, fn: () => Promise<void> | void): void {
  skippableTest(name, skip, fn);
}

/**
 * A copy of `binary` with a unique name of at most 15 characters (so `comm` is the whole
 * name): running it produces events nothing else on the machine produces.
 */
export function uniqueCopy(binary: string, prefix: string): { path: string; comm: string } {
  const comm = `${prefix}${Deno.pid % 100000}${counter++}`.slice(0, 15);
  const path = join(scratchDir(), comm);
  copyFileSync(binary, path);
  Deno.chmodSync(path, 0o755);
  return { path, comm };
}

/**
 * A command started held at a gate: a shell that waits for a line on stdin, then `exec`s the
 * command (same pid). Its pid is known before it does anything, so a run can filter on it
 * (`--pid_target`) and stay quiet however busy the machine is; `go()` lets it run and
 * resolves with its exit code.
 */
export function gatedCommand(
  cmd: string,
  args: string[] = [],
): { pid: number; go(): Promise<number> } {
  const child = new Deno.Command("/bin/sh", {
    args: ["-c", 'read _; exec "$0" "$@"', cmd, ...args],
    stdin: "piped",
    stdout: "null",
    stderr: "null",
  }).spawn();
  return {
    pid: child.pid,
    async go() {
      const w = child.stdin.getWriter();
      await w.write(new TextEncoder().encode("\n"));
      await w.close();
      return (await child.status).code;
    },
  };
}

/**
 * Whether tracepoint and kprobe attachments are BPF links on this kernel (perf-event links,
 * 5.15+); older kernels attach them with an ioctl on the perf event, which has no link id.
 */
export function hasPerfEventLinks(): boolean {
  const [major, minor] = Deno.osRelease().split(/[.-]/).map(Number);
  return major > 5 || (major === 5 && minor >= 15);
}

/** Runs a command to completion; returns its pid and exit code. */
export async function trigger(
  cmd: string,
  args: string[] = [],
): Promise<{ pid: number; code: number }> {
  const child = new Deno.Command(cmd, { args, stdout: "null", stderr: "null" }).spawn();
  const { code } = await child.status;
  return { pid: child.pid, code };
}

/**
 * Ids of the BPF programs a process holds (its fds' `prog_id` in /proc/PID/fdinfo): exactly
 * what that process loaded, whatever else runs on the machine.
 */
export function bpfProgramIdsOf(pid: number): number[] {
  return fdinfoIds(pid, "prog_id");
}

/** The distinct values of `field` (a number) in a process's /proc/PID/fdinfo files, sorted. */
function fdinfoIds(pid: number, field: string): number[] {
  const ids = new Set<number>();
  const re = new RegExp(`^${field}:\\s+(\\d+)$`, "m");
  for (const fd of Deno.readDirSync(`/proc/${pid}/fdinfo`)) {
    try {
      const m = Deno.readTextFileSync(`/proc/${pid}/fdinfo/${fd.name}`).match(re);
      if (m) ids.add(Number(m[1]));
    } catch { /* fd closed meanwhile */ }
  }
  return [...ids].sort((a, b) => a - b);
}

/** Ids of the BPF links a process holds (its fds' `link_id` in /proc/PID/fdinfo). */
export function bpfLinkIdsOf(pid: number): number[] {
  return fdinfoIds(pid, "link_id");
}

/** The BPF programs loaded in the kernel now (`bpftool -j prog list`). */
function loadedPrograms(): { id: number; name?: string }[] {
  const r = spawnSync("bpftool", ["-j", "prog", "list"], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`bpftool prog list: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

/** Ids of every BPF program loaded in the kernel now. */
export function loadedProgramIds(): number[] {
  return loadedPrograms().map((p) => p.id);
}

/**
 * Names of the BPF programs a process holds (by its fds, see `bpfProgramIdsOf`): what a test
 * loaded itself, unaffected by other runs on the machine that load the same programs.
 */
export function programNamesOf(pid: number): string[] {
  const ids = new Set(bpfProgramIdsOf(pid));
  return loadedPrograms().filter((p) => ids.has(p.id)).map((p) => p.name ?? "");
}

/** Names of the BPF programs loaded in the kernel now (`bpftool prog list`). */
export function loadedProgramNames(): string[] {
  return loadedPrograms().map((p) => p.name ?? "");
}

let counter = 0;
const workDir = mkdtempSync(join(tmpdir(), "ecli-kernel-test-"));
globalThis.addEventListener("unload", () => rmSync(workDir, { recursive: true, force: true }));

/** A fresh directory under this test module's scratch directory. */
export function scratchDir(): string {
  const d = join(workDir, String(counter++));
  mkdirSync(d);
  return d;
}

/** Compiles BPF C `source` (with `vmlinux.h` available) into a package, as ecc does. */
export async function buildPackage(name: string, source: string): Promise<Package> {
  const dir = scratchDir();
  const src = join(dir, `${name}.bpf.c`);
  writeFileSync(src, source);
  const r = await compileForTest({ source: src, outputDir: dir });
  return await loadPackage(r.files.package!);
}

/** Compiles a host C program with clang and returns its path. */
export function buildHostTool(name: string, source: string): string {
  const dir = scratchDir();
  const src = join(dir, `${name}.c`);
  const exe = join(dir, name);
  writeFileSync(src, source);
  const r = spawnSync("clang", ["-O2", "-o", exe, src], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`clang ${name}.c failed:\n${r.stderr}`);
  return exe;
}

/**
 * A copy of /bin/true with a unique name (at most 15 characters, so `comm` is the whole
 * name): exec it and a tracepoint sees a process nobody else starts.
 */
export function uniqueTrue(prefix: string): { path: string; comm: string } {
  return uniqueCopy("/bin/true", prefix);
}

/**
 * A host program: for each line `N` on stdin, calls getpid(2) N times and prints the rate
 * (calls/s); exits at end of input. With an argument it pins itself to that CPU.
 */
export const GETPID_GENERATOR = `
#define _GNU_SOURCE
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <time.h>
int main(int argc, char **argv) {
  char line[32];
  if (argc > 1) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(atoi(argv[1]), &set);
    if (sched_setaffinity(0, sizeof set, &set)) return 2;
  }
  while (fgets(line, sizeof line, stdin)) {
    long n = atol(line);
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    for (long i = 0; i < n; i++) syscall(SYS_getpid);
    clock_gettime(CLOCK_MONOTONIC, &b);
    printf("%.0f\\n", n / ((b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9 + 1e-9));
    fflush(stdout);
  }
  return 0;
}
`;

/** A started getpid generator. */
export interface Generator {
  /** The generator's pid (filter on it). */
  pid: number;
  /** Makes it call getpid `n` times; resolves with its rate (calls/s) when done. */
  round(n: number): Promise<number>;
  /** Ends it and waits for its exit. */
  close(): Promise<void>;
}

/**
 * Starts the getpid generator (`exe` from `buildHostTool`), pinned to `cpu` if given; it idles
 * until `round`.
 */
export function startGenerator(exe: string, cpu?: number): Generator {
  const args = cpu === undefined ? [] : [String(cpu)];
  const child = new Deno.Command(exe, { args, stdin: "piped", stdout: "piped" }).spawn();
  const writer = child.stdin.getWriter();
  const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let buffered = "";
  const readLine = async (): Promise<string> => {
    while (!buffered.includes("\n")) {
      const { value, done } = await lines.read();
      if (done) throw new Error("generator exited");
      buffered += value;
    }
    const i = buffered.indexOf("\n");
    const line = buffered.slice(0, i);
    buffered = buffered.slice(i + 1);
    return line;
  };
  return {
    pid: child.pid,
    async round(n) {
      await writer.write(new TextEncoder().encode(`${n}\n`));
      return Number(await readLine());
    },
    async close() {
      await writer.close().catch(() => {});
      await lines.cancel().catch(() => {});
      await child.status;
    },
  };
}

/** Runs a command, returning stdout (throws with stderr on failure). */
export function run(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")}: ${r.stderr || r.error}`);
  return r.stdout;
}

/** Polls `cond` every 10 ms until it holds or `ms` pass; returns whether it held. */
export async function until(cond: () => boolean, ms = 3000): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (cond()) return true;
    await new Promise((r) => setTimeout(r, 10));
  }
  return cond();
}

/** `n` as 4 little-endian bytes. */
export function u32le(n: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n, true);
  return b;
}

/** The C string at the start of `bytes`. */
export function cStringAt(bytes: Uint8Array): string {
  const end = bytes.indexOf(0);
  return new TextDecoder().decode(bytes.subarray(0, end < 0 ? bytes.length : end));
}

/**
 * Types of the BPF links that hold programs named `name` (`bpftool link list`): "xdp", or a
 * number where Debian's bpftool predates the type (tcx links are 11, `BPF_LINK_TYPE_TCX`).
 */
export function linkTypesOf(name: string): (string | number)[] {
  const list = (what: string) => {
    const r = spawnSync("bpftool", ["-j", what, "list"], { encoding: "utf8" });
    if (r.status !== 0) throw new Error(`bpftool ${what} list: ${r.stderr}`);
    return JSON.parse(r.stdout) as { id: number; name?: string; prog_id?: number; type: unknown }[];
  };
  const ids = new Set(list("prog").filter((p) => p.name === name).map((p) => p.id));
  return list("link").filter((l) => ids.has(l.prog_id!)).map((l) => l.type as string | number);
}
