/**
 * `ecli trace --list [PATTERN]`: probes and their typed fields, as the kernel lists them
 * (tracepoints from tracefs; kernel functions from BTF, for fentry/fexit/kprobe patterns).
 * @module
 */
import { functionProto, kernelBtf, listFunctions } from "./kernel_functions.ts";
import { globRegExp } from "./probe.ts";
import { listTracepoints, tracepointFields } from "./tracefs.ts";
import type { ProbeField } from "./fields.ts";

const FUNCTION_KINDS = new Set(["fentry", "fexit", "kprobe", "kretprobe", "f", "fr", "k", "kr"]);

/** Whether `decl` declares the name `name` (else the event renamed it). */
function declares(decl: string, name: string): boolean {
  return new RegExp(`(?:^|\\W)${name}(?:\\[.*)?$`).test(decl);
}

function block(label: string, fields: ProbeField[]): string {
  const lines = fields.map((f) =>
    `    ${f.decl}${declares(f.decl, f.name) ? "" : ` (e.${f.name})`}\n`
  );
  return `${label}\n${lines.join("")}`;
}

/**
 * The listing of probes matching `pattern` (a glob over `KIND:TARGET`; without a kind, over
 * tracepoints `CATEGORY:NAME`); every tracepoint when there is none. Kernel functions are
 * listed only for a pattern that names their kind (there are tens of thousands).
 */
export function listProbes(pattern?: string): string {
  const colon = pattern?.indexOf(":") ?? -1;
  const kind = pattern && colon > 0 ? pattern.slice(0, colon) : undefined;
  let out = "";
  if (kind && FUNCTION_KINDS.has(kind)) {
    const btf = kernelBtf();
    if (!btf) return "";
    const match = globRegExp(pattern!.slice(colon + 1));
    const full = { f: "fentry", fr: "fexit", k: "kprobe", kr: "kretprobe" }[kind] ?? kind;
    for (const name of listFunctions(btf)) {
      if (!match.test(name)) continue;
      const proto = functionProto(btf, name)!;
      const fields = full === "kretprobe" ? [] : [...proto.args];
      if ((full === "fexit" || full === "kretprobe") && proto.ret) fields.push(proto.ret);
      out += block(`${full}:${name}`, fields);
    }
    return out;
  }
  const tpPattern = !pattern
    ? undefined
    : kind === "tracepoint" || kind === "t"
    ? pattern.slice(colon + 1)
    : pattern;
  const match = tpPattern === undefined ? undefined : globRegExp(tpPattern);
  for (const tp of listTracepoints()) {
    if (match && !match.test(tp)) continue;
    const [cat, name] = tp.split(":");
    out += block(`tracepoint:${tp}`, tracepointFields(cat, name) ?? []);
  }
  return out;
}
