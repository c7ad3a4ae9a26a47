import process from "node:process";
import { LoaderError, strerror } from "./errors.ts";
import { missingKernelSupport } from "./kernel_support.ts";
import type { LibbpfLog } from "./libbpf_log.ts";

const FAILED_PROG = /^prog '([^']+)': BPF program load failed: (.*)$/;
const GENERIC = /^(failed to load object|failed to load BPF skeleton|prog '[^']+': failed to load)/;

/** The verifier's own verdict: the last line before its `processed N insns` summary. */
export function verifierVerdict(log: string[]): string | undefined {
  const begin = log.findIndex((l) => l.endsWith("-- BEGIN PROG LOAD LOG --"));
  if (begin < 0) return undefined;
  let end = log.findIndex((l, i) => i > begin && l === "-- END PROG LOAD LOG --");
  if (end < 0) end = log.length;
  const body = log.slice(begin + 1, end).filter((l) => l.trim() !== "");
  const stats = body.findLastIndex((l) => /^processed \d+ insns/.test(l));
  return (stats > 0 ? body[stats - 1] : body.at(-1))?.trim();
}

/**
 * Turns a failed `bpf_object__load` into one line, with libbpf's log as details. `sectionOf`
 * names a program's section, so a program type the kernel lacks is said in words.
 */
export function loadFailure(
  object: string,
  code: number,
  log: LibbpfLog,
  sectionOf: (program: string) => string | undefined = () => undefined,
): LoaderError {
  const lines = log.lines.map((l) => l.text);
  const hint = "; run with --verbose for libbpf's log";
  let message = `Failed to load BPF object '${object}': `;
  const failed = lines.map((l) => FAILED_PROG.exec(l)).find((m) => m);
  if (failed) {
    const verdict = verifierVerdict(lines);
    const section = sectionOf(failed[1]);
    const unsupported = !verdict && section ? missingKernelSupport(section, -code) : undefined;
    if (unsupported) {
      return new LoaderError(
        `Cannot load program '${failed[1]}' (SEC("${section}")) of BPF object '${object}': ` +
          unsupported,
        log.text(),
        -code,
      );
    }
    message += `program '${failed[1]}' was rejected by the kernel (${failed[2]})`;
    if (verdict) message += `: ${verdict}`;
  } else if (lines.some((l) => /failed to find valid kernel BTF/.test(l))) {
    // libbpf says ESRCH ("No such process"), which says nothing about the cause.
    return new LoaderError(
      `Cannot load BPF object '${object}': this kernel has no usable BTF at ` +
        `/sys/kernel/btf/vmlinux (CONFIG_DEBUG_INFO_BTF is off?), which CO-RE relocations need`,
      log.text(),
      -code,
    );
  } else if (Math.abs(code) === 1 && process.getuid?.() !== 0) {
    return new LoaderError(
      `Cannot load BPF object '${object}': not permitted (run as root, or with CAP_BPF, ` +
        `CAP_PERFMON and CAP_NET_ADMIN)`,
      log.text(),
      -code,
    );
  } else {
    message += strerror(code);
    const why = log.warnings().find((l) => !GENERIC.test(l));
    if (why) message += ` [libbpf: ${why}]`;
  }
  return new LoaderError(message + hint, log.text(), -code);
}
