/**
 * A record of the attachments that do not die with their process: tc filters and XDP programs
 * attached through netlink (kernels without tcx, or options that links cannot express). Each
 * running `ecli` keeps its own file, `<run dir>/<pid>.json` (`/run/ecli-ts`, or
 * `ECLI_RUN_DIR`), while such attachments exist; `ecli cleanup` reads the files of processes
 * that are gone and removes exactly what they list, checked against the attached program's id,
 * so nobody else's filter or XDP program is ever touched.
 * @module
 */
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import process from "node:process";

/** One netlink attachment, with what identifies it in the kernel. */
export type NetlinkAttachment =
  | {
    /** A tc filter (clsact hook, handle, priority). */
    kind: "tc";
    /** The program's name (the filter shows it as `name:[id]`). */
    program: string;
    /** Its kernel program id. */
    progId: number;
    /** Interface. */
    ifindex: number;
    /** `BPF_TC_INGRESS` / `BPF_TC_EGRESS` bits. */
    attachPoint: number;
    /** Filter handle. */
    handle: number;
    /** Filter priority. */
    priority: number;
  }
  | {
    /** An XDP program on an interface. */
    kind: "xdp";
    /** The program's name. */
    program: string;
    /** Its kernel program id. */
    progId: number;
    /** Interface. */
    ifindex: number;
    /** XDP mode flags it was attached with. */
    flags: number;
  };

/** A process's record file: who wrote it and what it has attached. */
export interface NetlinkRecord {
  /** Writer's pid. */
  pid: number;
  /** Its start time (`/proc/PID/stat` field 22), so a reused pid is not mistaken for it. */
  started: string;
  /** Its network namespace (`net:[inode]`): an ifindex means something only there. */
  netns: string;
  /** What it has attached now. */
  attachments: NetlinkAttachment[];
}

/** This process's network namespace, as `/proc/self/ns/net` names it. */
export function currentNetns(): string {
  try {
    return readlinkSync("/proc/self/ns/net");
  } catch {
    return "";
  }
}

/** The directory of record files. */
export function recordDir(): string {
  return process.env.ECLI_RUN_DIR ?? "/run/ecli-ts";
}

/** Start time of a process, or undefined when it is gone (or a zombie). */
export function processStart(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the command name (which may hold spaces) start at field 3, the state.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // A zombie (killed, not yet reaped) holds no fds any more: it is gone for our purposes.
    if (fields[0] === "Z" || fields[0] === "X") return undefined;
    return fields[19];
  } catch {
    return undefined;
  }
}

const current: NetlinkAttachment[] = [];

function write(): void {
  const file = join(recordDir(), `${process.pid}.json`);
  try {
    if (!current.length) {
      rmSync(file, { force: true });
      return;
    }
    mkdirSync(recordDir(), { recursive: true });
    const rec: NetlinkRecord = {
      pid: process.pid,
      started: processStart(process.pid) ?? "",
      netns: currentNetns(),
      attachments: current,
    };
    writeFileSync(file, JSON.stringify(rec));
  } catch {
    // Best effort: without the record a killed run's leftovers need tc/ip to remove.
  }
}

/** Notes a netlink attachment of this process (before anything can kill it unnoticed). */
export function recordNetlinkAttachment(a: NetlinkAttachment): void {
  current.push(a);
  write();
}

/** Forgets an attachment this process has removed. */
export function forgetNetlinkAttachment(a: NetlinkAttachment): void {
  const i = current.indexOf(a);
  if (i >= 0) current.splice(i, 1);
  write();
}

/**
 * Record files of processes that no longer run (their attachments may still be there), in this
 * network namespace: the others are for a cleanup run inside theirs.
 */
export function orphanedRecords(): { file: string; record: NetlinkRecord }[] {
  const dir = recordDir();
  const netns = currentNetns();
  if (!existsSync(dir)) return [];
  const out = [];
  for (const name of readdirSync(dir)) {
    if (!/^\d+\.json$/.test(name)) continue;
    const file = join(dir, name);
    let record: NetlinkRecord;
    try {
      record = JSON.parse(readFileSync(file, "utf8"));
    } catch {
      continue;
    }
    const started = processStart(record.pid);
    if (started !== undefined && started === record.started) continue;
    if (record.netns !== netns) continue;
    out.push({ file, record });
  }
  return out;
}
