/**
 * Probe specs (`tracepoint:CAT:NAME`, `fentry:FUNC`, `kprobe:FUNC`, `uprobe:PATH:SYM`, …),
 * wildcards expanded against what the kernel lists, each resolved to its typed fields.
 * @module
 */
import { existsSync } from "node:fs";
import { TraceError } from "./errors.ts";
import type { ProbeField } from "./fields.ts";
import { kernelBtf, kernelFunctionProto, listFunctions, uprobeArgs } from "./kernel_functions.ts";
import { listTracepoints, tracefsEvents, tracepointFields } from "./tracefs.ts";

/** Probe kinds, by the name a spec starts with. */
export type ProbeKind =
  | "tracepoint"
  | "fentry"
  | "fexit"
  | "kprobe"
  | "kretprobe"
  | "uprobe"
  | "uretprobe";

const ALIASES: Record<string, ProbeKind> = {
  tracepoint: "tracepoint",
  t: "tracepoint",
  fentry: "fentry",
  f: "fentry",
  fexit: "fexit",
  fr: "fexit",
  kprobe: "kprobe",
  k: "kprobe",
  kretprobe: "kretprobe",
  kr: "kretprobe",
  uprobe: "uprobe",
  u: "uprobe",
  uretprobe: "uretprobe",
  ur: "uretprobe",
};

/** The probe kinds `ecli trace` knows. */
export const PROBE_KINDS: readonly ProbeKind[] = [...new Set(Object.values(ALIASES))];

/** One probe resolved: what to attach and what it carries. */
export interface Probe {
  /** Its kind. */
  kind: ProbeKind;
  /** The spec as printed (`tracepoint:syscalls:sys_enter_openat`). */
  label: string;
  /** The ELF section libbpf attaches by (`tracepoint/syscalls/sys_enter_openat`). */
  section: string;
  /** Its fields. */
  fields: ProbeField[];
  /** Kernel functions: how many arguments it takes (fexit finds the return value after them). */
  argCount?: number;
}

/** Whether `text` is a glob (`*`, `?`). */
export function isGlob(text: string): boolean {
  return /[*?]/.test(text);
}

/** A glob as an anchored regular expression. */
export function globRegExp(glob: string): RegExp {
  const body = glob.replace(/[.+^${}()|[\]\\]/g, "\\$&").replaceAll("*", ".*").replaceAll(
    "?",
    ".",
  );
  return new RegExp(`^${body}$`);
}

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length];
}

/** Up to `n` of `candidates` closest to `name`: those containing it first, then by edits. */
export function closeMatches(name: string, candidates: string[], n = 3): string[] {
  const scored = candidates.map((c) => ({
    c,
    d: c.includes(name) ? c.length - name.length - 100 : distance(name, c),
  }));
  const limit = Math.max(3, Math.floor(name.length / 3));
  return scored.filter((s) => s.d <= limit).sort((x, y) => x.d - y.d || (x.c < y.c ? -1 : 1))
    .slice(0, n).map((s) => s.c);
}

function unknown(what: string, label: string, matches: string[], prefix: string): TraceError {
  const hint = matches.length
    ? `; close matches: ${matches.map((m) => prefix + m).join(", ")}`
    : "; see ecli trace --list";
  return new TraceError(`unknown ${what} '${label}'${hint}`);
}

function kindOf(spec: string): { kind: ProbeKind; rest: string } {
  const colon = spec.indexOf(":");
  const kind = colon < 0 ? undefined : ALIASES[spec.slice(0, colon)];
  if (!kind) {
    throw new TraceError(
      `unknown probe '${spec}': a probe is KIND:TARGET with KIND one of ${
        PROBE_KINDS.join(", ")
      } (e.g. tracepoint:syscalls:sys_enter_openat)`,
    );
  }
  return { kind, rest: spec.slice(colon + 1) };
}

function tracepoints(rest: string, spec: string): Probe[] {
  if (!tracefsEvents()) {
    throw new TraceError(
      `${spec}: tracefs is not mounted (mount -t tracefs none /sys/kernel/tracing)`,
    );
  }
  if (!/^[^:]+:[^:]+$/.test(rest)) {
    throw new TraceError(`probe '${spec}': a tracepoint is tracepoint:CATEGORY:NAME`);
  }
  const all = listTracepoints();
  const names = isGlob(rest) ? all.filter((t) => globRegExp(rest).test(t)) : [rest];
  if (names.length === 0 || !all.includes(names[0])) {
    throw unknown("tracepoint", spec, closeMatches(rest, all), "tracepoint:");
  }
  return names.map((n) => {
    const [cat, name] = n.split(":");
    return {
      kind: "tracepoint",
      label: `tracepoint:${n}`,
      section: `tracepoint/${cat}/${name}`,
      fields: tracepointFields(cat, name) ?? [],
    };
  });
}

function functions(kind: ProbeKind, rest: string, spec: string): Probe[] {
  const exit = kind === "fexit" || kind === "kretprobe";
  let names = [rest];
  if (isGlob(rest)) {
    const btf = kernelBtf();
    if (!btf) throw noBtf(spec);
    names = listFunctions(btf).filter((f) => globRegExp(rest).test(f));
  }
  return names.map((name) => {
    const proto = kernelFunctionProto(name);
    if (!proto) {
      const btf = kernelBtf();
      if (!btf) throw noBtf(spec);
      throw unknown("kernel function", spec, closeMatches(name, listFunctions(btf)), `${kind}:`);
    }
    // fexit sees the arguments too; kretprobe only the return value (the registers are gone).
    const fields = kind === "kretprobe"
      ? []
      : proto.args.filter((a) =>
        kind === "kprobe" ? (a.source as { index: number }).index < 5 : true
      );
    if (exit && proto.ret) fields.push(proto.ret);
    return {
      kind,
      label: `${kind}:${name}`,
      section: `${kind}/${name}`,
      fields,
      argCount: proto.argCount,
    };
  });
}

function noBtf(spec: string): TraceError {
  return new TraceError(`${spec}: this kernel has no BTF (/sys/kernel/btf/vmlinux) to type it`);
}

function uprobes(kind: ProbeKind, rest: string, spec: string): Probe[] {
  const colon = rest.lastIndexOf(":");
  if (colon <= 0 || colon === rest.length - 1) {
    throw new TraceError(`probe '${spec}': a uprobe is ${kind}:PATH:SYMBOL`);
  }
  const path = rest.slice(0, colon);
  if (!existsSync(path)) throw new TraceError(`probe '${spec}': no such file ${path}`);
  const fields = kind === "uprobe" ? uprobeArgs() : [{
    name: "ret",
    decl: "u64 ret",
    value: { kind: "int", type: "u64" } as const,
    source: { from: "ret" } as const,
  }];
  return [{ kind, label: `${kind}:${rest}`, section: `${kind}/${rest}`, fields }];
}

/** The probes `specs` name, wildcards expanded; `TraceError` for one that does not exist. */
export function resolveProbes(specs: string[]): Probe[] {
  const out: Probe[] = [];
  for (const spec of specs) {
    const { kind, rest } = kindOf(spec);
    if (kind === "tracepoint") out.push(...tracepoints(rest, spec));
    else if (kind === "uprobe" || kind === "uretprobe") out.push(...uprobes(kind, rest, spec));
    else out.push(...functions(kind, rest, spec));
  }
  if (out.length > 64) {
    throw new TraceError(`${specs.join(" ")} names ${out.length} probes; at most 64 at once`);
  }
  return out;
}
