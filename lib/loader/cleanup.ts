import { rmSync } from "node:fs";
import { ffi, tcHook, tcOpts, xdpAttachOpts } from "../../ffi/mod.ts";
import { strerror } from "./errors.ts";
import { type NetlinkAttachment, orphanedRecords } from "./netlink_record.ts";

/** What `ecli cleanup` did. */
export interface CleanupReport {
  /** One line per removed attachment. */
  removed: string[];
  /** One line per listed attachment that was already gone or now holds another program. */
  skipped: string[];
  /** One line per attachment that could not be removed. */
  failed: string[];
}

function where(a: NetlinkAttachment): string {
  return a.kind === "tc"
    ? `tc filter '${a.program}' (prog id ${a.progId}) on ifindex ${a.ifindex} ${
      a.attachPoint === 2 ? "egress" : "ingress"
    } handle ${a.handle} pref ${a.priority}`
    : `XDP program '${a.program}' (prog id ${a.progId}) on ifindex ${a.ifindex}`;
}

/** Removes one attachment if the kernel still holds exactly our program there. */
function removeOne(a: NetlinkAttachment): ["removed" | "skipped" | "failed", string] {
  const { libbpf, libc } = ffi();
  if (a.kind === "tc") {
    const hook = tcHook(a.ifindex, a.attachPoint);
    const query = tcOpts({ handle: a.handle, priority: a.priority });
    if (libbpf.bpf_tc_query(hook, query) < 0) return ["skipped", `${where(a)}: already gone`];
    const id = new DataView(query.buffer).getUint32(16, true);
    if (id !== a.progId) return ["skipped", `${where(a)}: now holds prog id ${id}, not ours`];
    const r = libbpf.bpf_tc_detach(hook, tcOpts({ handle: a.handle, priority: a.priority }));
    return r < 0 ? ["failed", `${where(a)}: ${strerror(r)}`] : ["removed", where(a)];
  }
  const id = new Uint32Array(1);
  if (libbpf.bpf_xdp_query_id(a.ifindex, a.flags, id) < 0 || id[0] === 0) {
    return ["skipped", `${where(a)}: already gone`];
  }
  if (id[0] !== a.progId) return ["skipped", `${where(a)}: now holds prog id ${id[0]}, not ours`];
  const fd = libbpf.bpf_prog_get_fd_by_id(a.progId);
  if (fd < 0) return ["failed", `${where(a)}: cannot open it: ${strerror(fd)}`];
  try {
    // old_prog_fd = ours: the kernel removes it only if it is still the attached program.
    const r = libbpf.bpf_xdp_detach(a.ifindex, a.flags, xdpAttachOpts(fd));
    return r < 0 ? ["failed", `${where(a)}: ${strerror(r)}`] : ["removed", where(a)];
  } finally {
    libc.close(fd);
  }
}

/**
 * Removes the tc filters and XDP programs that killed `ecli` runs left attached through netlink
 * (BPF links need no cleanup: the kernel drops them with the process). Only what a dead run
 * recorded is touched, and only while the kernel still shows that run's program id there.
 */
export function removeLeftovers(): CleanupReport {
  const report: CleanupReport = { removed: [], skipped: [], failed: [] };
  for (const { file, record } of orphanedRecords()) {
    let kept = false;
    for (const a of record.attachments) {
      const [outcome, line] = removeOne(a);
      report[outcome].push(`pid ${record.pid}: ${line}`);
      if (outcome === "failed") kept = true;
    }
    if (!kept) rmSync(file, { force: true });
  }
  return report;
}
