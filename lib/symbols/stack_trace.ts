import { z } from "zod";
import { type Frame, frameSymbol } from "./frame.ts";
import type { Symbolizer } from "./symbolizer.ts";

/** Upstream's `intepreter: {"stack_trace": {field_map, with_symbols}}` of a map entry. */
export const StackTraceSchema = z.looseObject({
  field_map: z.looseObject({
    pid: z.string().optional(),
    cpu_id: z.string().optional(),
    comm: z.string().optional(),
    kstack_sz: z.string().optional(),
    ustack_sz: z.string().optional(),
    kstack: z.string().optional(),
    ustack: z.string().optional(),
  }).default({}),
  with_symbols: z.boolean().default(true),
  /** Ours: the BPF_MAP_TYPE_STACK_TRACE map the stack ids index (default: the only one). */
  stack_map: z.string().optional(),
});

/** A parsed stack-trace interpreter. */
export type StackTraceConfig = z.infer<typeof StackTraceSchema>;

/** The stack-trace interpreter of a map's `intepreter` entry, or undefined for any other. */
export function stackTraceConfig(intepreter: unknown, map: string): StackTraceConfig | undefined {
  if (intepreter === undefined || intepreter === null || intepreter === "default_struct") {
    return undefined;
  }
  if (typeof intepreter !== "object" || !("stack_trace" in intepreter)) {
    throw new Error(`map '${map}': unknown intepreter ${JSON.stringify(intepreter)}`);
  }
  const r = StackTraceSchema.safeParse((intepreter as { stack_trace: unknown }).stack_trace);
  if (!r.success) {
    const i = r.error.issues[0];
    throw new Error(`map '${map}': intepreter.stack_trace.${i.path.join(".")}: ${i.message}`);
  }
  return r.data;
}

/** A stack trace event after resolution: upstream's fields with frames for the stacks. */
export interface StackTraceEvent {
  /** The sampled process (thread group) id. */
  pid: number;
  /** The CPU the sample was taken on. */
  cpu_id: number;
  /** The task's command name. */
  comm: string;
  /** Kernel frames, innermost first (empty: no kernel stack). */
  kstack: Frame[];
  /** User frames, innermost first (empty: no user stack). */
  ustack: Frame[];
}

/** Reads a stack's addresses from the stack map by id (undefined when there is no entry). */
export type StackLookup = (id: number) => bigint[] | undefined;

/** Turns decoded events (or sampled keys) holding stacks into `StackTraceEvent`s. */
export interface StackResolver {
  /** Resolves one decoded object; returns undefined when it has neither stack (skipped). */
  resolve(event: Record<string, unknown>): StackTraceEvent | undefined;
  /**
   * The object with its stack fields replaced by frame arrays (`[{addr, sym, offset,
   * module}]`), the rest as decoded: what JSON output and handlers get.
   */
  withFrames(event: Record<string, unknown>): Record<string, unknown>;
  /** The interpreter's settings. */
  config: StackTraceConfig;
}

const num = (v: unknown): number => (typeof v === "bigint" ? Number(v) : Number(v ?? 0));

/**
 * A resolver for one export. A stack field is either an inline address array (upstream's
 * `bpf_get_stack` layout, trimmed to `*_sz / 8` entries when the size field exists, else at
 * the first zero) or a stack id (`bpf_get_stackid`) read through `lookup` from the
 * `BPF_MAP_TYPE_STACK_TRACE` map; a negative id is "no stack". Addresses are symbolised when
 * `with_symbols` holds (else the frames carry only `addr`).
 */
export function stackResolver(
  config: StackTraceConfig,
  symbols: Symbolizer,
  lookup?: StackLookup,
): StackResolver {
  const f = config.field_map;
  const name = (k: keyof typeof f, d: string): string => (f[k] as string | undefined) ?? d;
  const [pidF, cpuF, commF] = [name("pid", "pid"), name("cpu_id", "cpu_id"), name("comm", "comm")];
  const [kF, uF] = [name("kstack", "kstack"), name("ustack", "ustack")];
  const [kSz, uSz] = [name("kstack_sz", "kstack_sz"), name("ustack_sz", "ustack_sz")];
  const addresses = (e: Record<string, unknown>, field: string, sizeField: string): bigint[] => {
    const v = e[field];
    if (Array.isArray(v)) {
      const n = sizeField in e ? Math.max(0, Math.floor(num(e[sizeField]) / 8)) : v.length;
      const out: bigint[] = [];
      for (let i = 0; i < Math.min(n, v.length); i++) {
        const a = BigInt(v[i] as bigint | number);
        if (a === 0n) break;
        out.push(a);
      }
      return out;
    }
    if (v === undefined || !lookup) return [];
    const id = num(v);
    return id < 0 ? [] : lookup(id) ?? [];
  };
  const bare = (addr: bigint): Frame => ({ addr, sym: null, offset: 0, module: null });
  const resolve = (e: Record<string, unknown>): StackTraceEvent | undefined => {
    const pid = num(e[pidF]);
    const k = addresses(e, kF, kSz);
    const u = addresses(e, uF, uSz);
    if (!k.length && !u.length) return undefined;
    return {
      pid,
      cpu_id: num(e[cpuF]),
      comm: String(e[commF] ?? ""),
      kstack: k.map((a) => config.with_symbols ? symbols.kernel(a) : bare(a)),
      ustack: u.map((a) => config.with_symbols ? symbols.user(pid, a) : bare(a)),
    };
  };
  return {
    config,
    resolve,
    withFrames(e) {
      if (typeof e !== "object" || e === null || (!(kF in e) && !(uF in e))) return e;
      const r = resolve(e);
      const out: Record<string, unknown> = { ...e };
      if (kF in e) out[kF] = r?.kstack ?? [];
      if (uF in e) out[uF] = r?.ustack ?? [];
      return out;
    },
  };
}

function stackLines(title: string, frames: Frame[]): string {
  if (!frames.length) return `No ${title} Stack\n`;
  let s = `${title}:\n`;
  frames.forEach((fr, i) => {
    const sym = frameSymbol(fr);
    s += `  ${i} [<${fr.addr.toString(16).padStart(16, "0")}>]${sym ? ` ${sym}` : ""}\n`;
  });
  return s;
}

/** Upstream's plain-text stack trace: `COMM: … (pid=…) @ CPU …`, then Kernel and Userspace. */
export function formatStackTrace(e: StackTraceEvent): string {
  return `COMM: ${e.comm} (pid=${e.pid}) @ CPU ${e.cpu_id}\n` +
    stackLines("Kernel", e.kstack) +
    stackLines("Userspace", e.ustack);
}

function frameName(f: Frame): string {
  if (f.sym !== null) return f.sym.replaceAll(";", ":");
  if (f.module) return `[${f.module.slice(f.module.lastIndexOf("/") + 1)}]`;
  return "[unknown]";
}

/**
 * One stack in folded form, root first (`comm;main;work;…;kernel_fn_[k]`), as flamegraph.pl
 * and speedscope read it: the user frames outermost to innermost, then the kernel frames
 * (marked `_[k]`, flamegraph.pl's kernel colour).
 */
export function foldStack(e: StackTraceEvent): string {
  const parts = [e.comm.replaceAll(";", ":") || "[unknown]"];
  for (let i = e.ustack.length - 1; i >= 0; i--) parts.push(frameName(e.ustack[i]));
  for (let i = e.kstack.length - 1; i >= 0; i--) parts.push(frameName(e.kstack[i]) + "_[k]");
  return parts.join(";");
}

/** Counts folded stacks and prints them as `stack count` lines, the most frequent first. */
export class FoldedStacks {
  #counts = new Map<string, number>();

  /** Adds `count` samples of one stack. */
  add(e: StackTraceEvent, count = 1): void {
    const k = foldStack(e);
    this.#counts.set(k, (this.#counts.get(k) ?? 0) + count);
  }

  /** Forgets everything (a sampled map that is not cleared re-reports its totals). */
  clear(): void {
    this.#counts.clear();
  }

  /** The folded lines, most samples first (ties: by stack, so the output is stable). */
  text(): string {
    return [...this.#counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
      .map(([k, n]) => `${k} ${n}\n`).join("");
  }
}
