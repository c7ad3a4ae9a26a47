import { cString, ffi, type Pointer, uprobeOpts } from "../../ffi/mod.ts";
import type { ProgMeta } from "../package/mod.ts";
import { LoaderError, strerror } from "./errors.ts";
import type { LibbpfLog } from "./libbpf_log.ts";

/** Program families whose target can be given at run time (`--attach PROG=TARGET`). */
export type TargetFamily = "uprobe" | "uretprobe" | "usdt" | "xdp" | "tc";

/** Where a program attaches, parsed from `--attach PROG=TARGET` (libbpf's section syntax). */
export type AttachTarget =
  | {
    /** A uprobe or uretprobe on a function (or file offset) of an ELF binary. */
    kind: "uprobe";
    /** The binary or shared library. */
    binary: string;
    /** The function; absent when `offset` is a file offset. */
    symbol?: string;
    /** Bytes after the function's start, or the file offset when there is no symbol. */
    offset: number;
    /** A uretprobe (from the program's section). */
    retprobe: boolean;
  }
  | {
    /** A USDT probe (`.note.stapsdt`) of an ELF binary. */
    kind: "usdt";
    /** The binary or shared library. */
    binary: string;
    /** The probe's provider. */
    provider: string;
    /** The probe's name. */
    name: string;
  }
  | {
    /** An XDP program on an interface. */
    kind: "xdp";
    /** The interface name. */
    ifname: string;
  }
  | {
    /** A tc classifier on an interface's clsact hook. */
    kind: "tc";
    /** The interface name. */
    ifname: string;
    /** Which hook (default ingress). */
    direction: "ingress" | "egress";
  };

/**
 * The family of a SEC() name when its target can come from the command line, else undefined:
 * `uprobe[.s][/…]`, `uretprobe[.s][/…]`, `usdt[/…]`, `xdp[.frags]`, `tc`/`classifier`.
 */
export function targetFamily(section: string): TargetFamily | undefined {
  const m = /^(uprobe|uretprobe|usdt|xdp|tc|classifier)(?:\.s|\.frags)?(?:\/|$)/.exec(section);
  if (!m) return undefined;
  return m[1] === "classifier" ? "tc" : m[1] as TargetFamily;
}

/** True when the section names no target, so the program attaches only with `--attach`. */
export function needsTarget(section: string): boolean {
  const f = targetFamily(section);
  return (f === "uprobe" || f === "uretprobe" || f === "usdt") && !section.includes("/");
}

/** What a TARGET looks like for each family (help and error texts). */
export const TARGET_SYNTAX: Record<TargetFamily, string> = {
  uprobe: "/path/bin:symbol[+offset]",
  uretprobe: "/path/bin:symbol[+offset]",
  usdt: "/path/bin:provider:probe",
  xdp: "ifname",
  tc: "ifname[:ingress|egress]",
};

/**
 * Parses TARGET for a program of `family` (no file-system checks: see lib/run for those).
 * Throws `LoaderError` with the expected syntax when it does not fit.
 */
export function parseAttachTarget(family: TargetFamily, text: string): AttachTarget {
  const bad = (why: string) =>
    new LoaderError(`bad ${family} target '${text}': ${why} (expected ${TARGET_SYNTAX[family]})`);
  if (family === "xdp") {
    if (!/^[^\s:/]{1,15}$/.test(text)) throw bad("not an interface name");
    return { kind: "xdp", ifname: text };
  }
  if (family === "tc") {
    const m = /^([^\s:/]{1,15})(?::(ingress|egress))?$/.exec(text);
    if (!m) throw bad("not an interface name with an optional :ingress or :egress");
    return { kind: "tc", ifname: m[1], direction: (m[2] ?? "ingress") as "ingress" | "egress" };
  }
  if (family === "usdt") {
    const m = /^(.+):([A-Za-z_]\w*):([A-Za-z_]\w*)$/.exec(text);
    if (!m) throw bad("no binary, provider and probe");
    return { kind: "usdt", binary: m[1], provider: m[2], name: m[3] };
  }
  const m = /^(.+):(?:([A-Za-z_.$][\w.$@]*)(?:\+(0x[0-9a-fA-F]+|\d+))?|(0x[0-9a-fA-F]+|\d+))$/
    .exec(text);
  if (!m) throw bad("no binary and symbol");
  return {
    kind: "uprobe",
    binary: m[1],
    symbol: m[2],
    offset: Number(m[3] ?? m[4] ?? 0),
    retprobe: family === "uretprobe",
  };
}

/** `if_nametoindex`: 0 when there is no such interface (in this network namespace). */
export function interfaceIndex(ifname: string): number {
  return ffi().libc.if_nametoindex(cString(ifname));
}

/** What `attachProgram` needs besides the program for a run-time target. */
export interface AttachOptions {
  /** Where to attach instead of what the section or the package says. */
  target?: AttachTarget;
  /** Process to probe (uprobes, USDT); default every process (-1). */
  pid?: number;
}

/**
 * Attaches a uprobe or USDT program to a run-time target and returns the BPF link; undefined
 * for XDP and tc targets, which the caller attaches with `retargeted` extras.
 */
export function attachToTarget(
  program: Pointer,
  prog: ProgMeta,
  opts: AttachOptions,
  log: LibbpfLog,
): Pointer | undefined {
  const t = opts.target;
  if (!t || t.kind === "xdp" || t.kind === "tc") return undefined;
  const backend = ffi();
  const { libbpf, memory } = backend;
  const pid = opts.pid ?? -1;
  const binary = cString(t.binary);
  let err = 0;
  const link = log.run(() => {
    let l: Pointer;
    if (t.kind === "uprobe") {
      const name = t.symbol === undefined ? undefined : cString(t.symbol);
      const o = uprobeOpts(memory, t.retprobe, name);
      l = libbpf.bpf_program__attach_uprobe_opts(program, pid, binary, t.offset, o);
      name?.length; // keeps the name alive through the call
    } else {
      l = libbpf.bpf_program__attach_usdt(
        program,
        pid,
        binary,
        cString(t.provider),
        cString(t.name),
        null,
      );
    }
    err = l === null ? backend.errno() : 0;
    return l;
  }, (l) => l === null);
  if (link === null) {
    const why = log.warnings().at(-1);
    const where = t.kind === "uprobe"
      ? `${t.binary}:${t.symbol ?? ""}${t.offset ? `+${t.offset}` : ""}`
      : `${t.binary}:${t.provider}:${t.name}`;
    throw new LoaderError(
      `Failed to attach '${prog.name}' to ${where}: ${strerror(err)}${
        why ? ` [libbpf: ${why}]` : ""
      }`,
      log.text(),
      err,
    );
  }
  return link;
}

/** The program entry with an XDP or tc target's interface in its extras (upstream's keys). */
export function retargeted(prog: ProgMeta, target: AttachTarget | undefined): ProgMeta {
  if (target?.kind !== "xdp" && target?.kind !== "tc") return prog;
  const ifindex = interfaceIndex(target.ifname);
  if (!ifindex) throw new LoaderError(`no network interface '${target.ifname}'`);
  if (target.kind === "xdp") return { ...prog, ifindex };
  const hook = (prog.tchook ?? {}) as Record<string, unknown>;
  const point = target.direction === "egress" ? "BPF_TC_EGRESS" : "BPF_TC_INGRESS";
  return { ...prog, tchook: { ...hook, ifindex, attach_point: point } };
}
