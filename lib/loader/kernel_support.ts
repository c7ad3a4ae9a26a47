import { existsSync, readFileSync } from "node:fs";
import process from "node:process";

/** Program families that need optional kernel support beyond BPF itself. */
export type ProgramFamily = "kprobe" | "tracing" | "lsm";

/** Which optional kernel facility a program's section needs, if any. */
export function programFamily(section: string): ProgramFamily | undefined {
  if (/^(kprobe|kretprobe|ksyscall|kretsyscall)(\.multi)?(\/|$)/.test(section)) return "kprobe";
  if (/^(fentry|fexit|fmod_ret)(\.s)?(\/|$)/.test(section)) return "tracing";
  if (/^lsm(\.s|_cgroup)?(\/|$)/.test(section)) return "lsm";
  return undefined;
}

/** Whether this process runs as root (permission errors then mean policy, not privilege). */
function isRoot(): boolean {
  try {
    return process.getuid?.() === 0;
  } catch {
    return false;
  }
}

/** Whether tracefs is where libbpf looks for it (its own mount, or debugfs's `tracing`). */
export function tracefsMounted(): boolean {
  return existsSync("/sys/kernel/tracing/events") || existsSync("/sys/kernel/debug/tracing/events");
}

/** The active LSMs (`/sys/kernel/security/lsm`), or undefined when securityfs is not readable. */
export function activeLsms(): string[] | undefined {
  try {
    return readFileSync("/sys/kernel/security/lsm", "utf8").trim().split(",");
  } catch {
    return undefined;
  }
}

/**
 * Whether the kernel can create kprobes at all: the kprobe PMU (4.17+) or, for older kernels,
 * tracefs' `kprobe_events`. Both are absent when CONFIG_KPROBES is off.
 */
export function hasKprobes(): boolean {
  return existsSync("/sys/bus/event_source/devices/kprobe") ||
    existsSync("/sys/kernel/tracing/kprobe_events") ||
    existsSync("/sys/kernel/debug/tracing/kprobe_events");
}

/**
 * Why BPF LSM programs would never run here although they attach: securityfs lists the active
 * LSMs and "bpf" is not among them. Undefined when it is, or when the list cannot be read.
 */
export function bpfLsmInactive(): string | undefined {
  const lsms = activeLsms();
  if (!lsms || lsms.includes("bpf")) return undefined;
  return `the BPF LSM is not active in this kernel (active LSMs: ${lsms.join(",")}; ` +
    "boot with 'bpf' in lsm=)";
}

/**
 * Why the running kernel cannot attach a program of `section` that failed with `errno`, when
 * the cause is missing kernel support rather than the program; undefined otherwise. Checked
 * only after a failure, so a kernel that can never do it gets one clear sentence instead of
 * a raw errno (ENOENT for kprobes, EPERM for fentry/LSM refused before verification).
 */
export function missingKernelSupport(section: string, errno: number): string | undefined {
  // Tracepoints (and legacy kprobe/uprobe events) are found through tracefs.
  if (errno === 2 && /^(tp|tracepoint)\//.test(section) && !tracefsMounted()) {
    return "tracefs is not mounted (mount -t tracefs tracefs /sys/kernel/tracing)";
  }
  const family = programFamily(section);
  if (family === "kprobe" && !hasKprobes()) {
    return "this kernel has no kprobe support (CONFIG_KPROBES is off)";
  }
  if (family === "lsm") {
    const inactive = bpfLsmInactive();
    if (inactive) return inactive;
  }
  // EPERM as root without a verifier log: the kernel refused the program type itself.
  if (errno === 1 && isRoot() && (family === "tracing" || family === "lsm")) {
    return family === "tracing"
      ? "this kernel refuses BPF tracing programs (fentry/fexit) even for root"
      : "this kernel refuses BPF LSM programs even for root (no CONFIG_BPF_LSM, or a policy)";
  }
  return undefined;
}
