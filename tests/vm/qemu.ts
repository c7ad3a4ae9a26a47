/**
 * Boots a kernel under qemu (TCG, no KVM needed) with the harness initramfs, runs one shell
 * command inside against the host root (shared read-only over 9p, writable through a tmpfs
 * overlay), and reports the command's exit code. A panic, a guest that never reports, or qemu
 * failing is always a failure with a reason, never a pass.
 * @module
 */
import { join } from "node:path";
import { buildInitramfs, MARKER } from "./initramfs.ts";
import { ensureHostTools, type KernelSpec, type PreparedKernel, prepareKernel } from "./kernel.ts";

/** What to run in the guest. */
export interface VmRunOptions {
  /** Shell command (run by /bin/sh in the chrooted host root). */
  command: string;
  /** Directory to `cd` into first (default: the current directory). */
  cwd?: string;
  /** Extra environment for the command (the guest starts from `env -i`). */
  env?: Record<string, string>;
  /** Kill qemu after this long (default 10 minutes). */
  timeoutMs?: number;
  /** Writable root (tmpfs overlay over the 9p host root; default true). */
  overlay?: boolean;
  /** Guest memory (default "2G") and CPUs (default 2). */
  memory?: string;
  smp?: number;
  /** Files the command writes into `$VM_JOB_DIR` to hand back (read before the job dir goes). */
  collect?: string[];
}

/** Outcome of one guest run. */
export interface VmResult {
  /** The guest command's exit code, or null when the guest never reported one. */
  code: number | null;
  /** Everything the guest printed on its serial console. */
  output: string;
  /** Wall time from qemu start to qemu exit. */
  wallMs: number;
  /** Why the run failed (panic, timeout, qemu error, non-zero exit), or undefined on success. */
  reason?: string;
  /** The `collect` files the guest wrote, by name (missing ones are absent). */
  files: Record<string, string>;
  /** Pid of the qemu process (already exited and reaped when the result is returned). */
  qemuPid?: number;
}

function shellQuote(s: string): string {
  return `'${s.replaceAll("'", `'\\''`)}'`;
}

/** Where the guest sees the job directory (the init mounts it there). */
export const GUEST_JOB_DIR = "/run/vmjob";

/** The job script the guest's init runs. */
export function jobScript(opts: VmRunOptions): string {
  const env = { DENO_NO_UPDATE_CHECK: "1", VM_JOB_DIR: GUEST_JOB_DIR, ...opts.env };
  const lines = ["#!/bin/sh"];
  for (const [k, v] of Object.entries(env)) lines.push(`export ${k}=${shellQuote(v)}`);
  lines.push(`cd ${shellQuote(opts.cwd ?? Deno.cwd())} || exit 125`, opts.command, "");
  return lines.join("\n");
}

/**
 * Reads the guest outcome from qemu's exit status and the console: `isa-debug-exit` makes qemu
 * exit with `(rc << 1) | 1`, the init also prints `ECLI-VM: rc=N`; both must agree. Exit 0 is a
 * guest that powered off, rebooted or panicked before reporting.
 */
export function interpret(
  qemuStatus: number | null,
  output: string,
  timedOut: boolean,
  timeoutMs: number,
) {
  const panic = output.match(/Kernel panic[^\r\n]*/)?.[0];
  const rcLine = output.match(new RegExp(`${MARKER} rc=(\\d+)`));
  if (timedOut) {
    return {
      code: null,
      reason: `timeout: no result after ${timeoutMs} ms; qemu killed` +
        (panic ? ` (${panic})` : ""),
    };
  }
  if (panic) return { code: null, reason: `kernel panic: ${panic}` };
  if (!rcLine) {
    return {
      code: null,
      reason: `guest never reported an exit code (qemu exit status ${qemuStatus})`,
    };
  }
  const rc = Number(rcLine[1]);
  if (qemuStatus !== (((rc & 0x7f) << 1) | 1)) {
    return { code: null, reason: `qemu exit status ${qemuStatus} does not match guest rc=${rc}` };
  }
  return { code: rc, reason: rc === 0 ? undefined : `guest command exited with ${rc}` };
}

/**
 * Whether the guest got as far as starting the command (the init's `start` marker). A failure
 * before that is the boot's, not the test's: e.g. 7.2 under multi-threaded TCG sometimes oopses
 * on an int3 during early text patching (seen about 1 boot in 10 with `-smp 2`).
 */
export function reachedCommand(r: VmResult): boolean {
  return r.output.includes(`${MARKER} start`);
}

const prepared = new Map<string, Promise<{ kernel: PreparedKernel; initrd: string }>>();

/** Host tools, kernel and initramfs for `spec`, prepared once per process (runs may overlap). */
function prepare(spec: KernelSpec): Promise<{ kernel: PreparedKernel; initrd: string }> {
  const key = spec.name;
  if (!prepared.has(key)) {
    const p = (async () => {
      await ensureHostTools();
      const kernel = await prepareKernel(spec);
      return { kernel, initrd: await buildInitramfs(kernel) };
    })();
    p.catch(() => prepared.delete(key));
    prepared.set(key, p);
  }
  return prepared.get(key)!;
}

/** Prepares `spec` (download, unpack, initramfs; cached) and runs `opts.command` in it. */
export async function runInVm(spec: KernelSpec, opts: VmRunOptions): Promise<VmResult> {
  const { kernel, initrd } = await prepare(spec);
  const jobs = join(kernel.dir, "jobs");
  await Deno.mkdir(jobs, { recursive: true });
  const job = await Deno.makeTempDir({ dir: jobs });
  await Deno.writeTextFile(join(job, "cmd.sh"), jobScript(opts));
  const timeoutMs = opts.timeoutMs ?? 600_000;
  const args = [
    "-machine",
    "q35",
    "-cpu",
    "max",
    "-m",
    opts.memory ?? "2G",
    "-smp",
    String(opts.smp ?? 2),
    "-nographic",
    "-no-reboot",
    "-nic",
    "none",
    "-kernel",
    kernel.image,
    "-initrd",
    initrd,
    "-append",
    // `lsm=` adds BPF LSM to Debian's default list so LSM programs run in the guest.
    `console=ttyS0 panic=-1 quiet lsm=lockdown,capability,yama,bpf vmoverlay=${
      opts.overlay === false ? 0 : 1
    }`,
    "-virtfs",
    "local,path=/,mount_tag=hostroot,security_model=none,readonly=on,id=hostroot,multidevs=remap",
    "-virtfs",
    `local,path=${job},mount_tag=vmjob,security_model=none,id=vmjob`,
    "-device",
    "isa-debug-exit,iobase=0xf4,iosize=0x04",
  ];
  const start = performance.now();
  let output = "";
  let status: number | null = null;
  let timedOut = false;
  let qemuPid: number | undefined;
  const files: Record<string, string> = {};
  try {
    const child = new Deno.Command("qemu-system-x86_64", {
      args,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    qemuPid = child.pid;
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        child.kill("SIGKILL");
      } catch { /* already gone */ }
    }, timeoutMs);
    const td = new TextDecoder();
    const collect = async (s: ReadableStream<Uint8Array>) => {
      for await (const c of s) output += td.decode(c, { stream: true });
    };
    const [st] = await Promise.all([child.status, collect(child.stdout), collect(child.stderr)]);
    clearTimeout(timer);
    status = st.signal ? null : st.code;
  } catch (e) {
    return {
      code: null,
      output,
      wallMs: performance.now() - start,
      reason: `qemu failed: ${e}`,
      files,
      qemuPid,
    };
  } finally {
    for (const name of opts.collect ?? []) {
      try {
        files[name] = await Deno.readTextFile(join(job, name));
      } catch { /* not written */ }
    }
    await Deno.remove(job, { recursive: true }).catch(() => {});
  }
  const wallMs = performance.now() - start;
  output = output.replaceAll("\r\n", "\n");
  return { ...interpret(status, output, timedOut, timeoutMs), output, wallMs, files, qemuPid };
}
