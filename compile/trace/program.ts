/**
 * The BPF C of a trace: one program per probe copies the task's pid/tid/comm/timestamp and
 * the probe's fields into one event struct (a per-CPU scratch slot, so strings need no stack),
 * applies the in-kernel filter, counts what passes in `submitted`, and then either submits it
 * to the `events` ring buffer, counts it by a field (`counts`, sampled) or adds the log2 of a
 * field to a histogram (`hist`, sampled).
 * @module
 */
import { TraceError } from "./errors.ts";
import { eventMember, type IntType, type ProbeField, STRING_SIZE, TASK_FIELDS } from "./fields.ts";
import type { Probe } from "./probe.ts";

/** What a trace does with the events that pass the filter. */
export type TraceMode =
  | { kind: "events" }
  /** Count per value of `field` (`--count-by`). */
  | { kind: "count"; field: string }
  /** log2 histogram of `field` (`--hist`). */
  | { kind: "hist"; field: string };

/** Slots of a `--hist` histogram: one per bit of a u64. */
export const HIST_SLOTS = 64;

/** Bytes of the `probe` field (a trace of several probes says which one fired). */
const PROBE_NAME_SIZE = 64;

/** The event's fields: the task's, `probe` when there are several probes, then the probes'. */
export interface TraceEvent {
  /** Every field, in struct order. */
  fields: ProbeField[];
  /** Per probe, its fields renamed to their event names. */
  perProbe: ProbeField[][];
}

function sameValue(a: ProbeField, b: ProbeField): boolean {
  return JSON.stringify(a.value) === JSON.stringify(b.value);
}

/** The event layout of `probes`: fields of the same name and type are shared between probes. */
export function traceEvent(probes: Probe[]): TraceEvent {
  const fields: ProbeField[] = [...TASK_FIELDS];
  if (probes.length > 1) {
    fields.push({
      name: "probe",
      decl: `char probe[${PROBE_NAME_SIZE}]`,
      value: { kind: "chars", length: PROBE_NAME_SIZE },
      source: { from: "ret" },
    });
  }
  const perProbe = probes.map((p) =>
    p.fields.map((f) => {
      let name = f.name;
      for (let n = 2;; n++) {
        const have = fields.find((x) => x.name === name);
        if (!have) {
          fields.push({ ...f, name });
          break;
        }
        if (!TASK_FIELDS.includes(have) && sameValue(have, f)) break;
        name = `${f.name}_${n}`;
      }
      return { ...f, name };
    })
  );
  return { fields, perProbe };
}

/** The integer fields of an event, by name. */
export function intFields(event: TraceEvent): Map<string, IntType> {
  const m = new Map<string, IntType>();
  for (const f of event.fields) if (f.value.kind === "int") m.set(f.name, f.value.type);
  return m;
}

function fieldOf(event: TraceEvent, name: string, flag: string): ProbeField {
  const f = event.fields.find((x) => x.name === name);
  if (!f) {
    throw new TraceError(
      `${flag}: unknown field '${name}' (the events have: ${
        event.fields.map((x) => x.name).join(", ")
      })`,
    );
  }
  return f;
}

function cString(s: string): string {
  return JSON.stringify(s);
}

/** The statement that fills event field `f` in a program of `kind`. */
function fill(kind: Probe["kind"], f: ProbeField): string {
  const dst = `e->${f.name}`;
  const { source, value } = f;
  let raw: string;
  switch (source.from) {
    case "record":
      if (value.kind === "chars") {
        return `bpf_probe_read_kernel(${dst}, ${value.length}, (char *)ctx + ${source.offset});`;
      }
      raw = value.kind === "string"
        ? `*(u64 *)((char *)ctx + ${source.offset})`
        : `*(${value.type} *)((char *)ctx + ${source.offset})`;
      break;
    case "data_loc":
      return `trace_kernel_str(${dst}, (char *)ctx + (*(u32 *)((char *)ctx + ${source.offset}) & 0xffff));`;
    case "arg":
      raw = kind === "fentry" || kind === "fexit"
        ? `ctx[${source.index}]`
        : `PT_REGS_PARM${source.index + 1}(ctx)`;
      break;
    case "ret":
      raw = kind === "fexit" ? "ctx[TRACE_NARGS]" : "PT_REGS_RC(ctx)";
      break;
  }
  if (value.kind === "string") return `trace_str(${dst}, (u64)(${raw}));`;
  return `${dst} = (${value.kind === "int" ? value.type : "u64"})(${raw});`;
}

/** The statement that clears an event field a probe does not have (the slot is reused). */
function clear(f: ProbeField): string {
  return f.value.kind === "int" ? `e->${f.name} = 0;` : `e->${f.name}[0] = 0;`;
}

function programFor(p: Probe, i: number, event: TraceEvent): string {
  const mine = event.perProbe[i];
  const names = new Set(mine.map((f) => f.name));
  const probeField = event.fields.some((f) => f.name === "probe");
  const body = [
    "struct event *e = trace_begin();",
    "if (!e)",
    "\treturn 0;",
    ...(probeField
      ? [`trace_name(e->probe, ${cString(p.label.slice(0, PROBE_NAME_SIZE - 1))});`]
      : []),
    ...mine.map((f) => fill(p.kind, f)),
    ...event.fields.filter((f) =>
      !names.has(f.name) && !TASK_FIELDS.includes(f) && f.name !== "probe"
    ).map(clear),
    "return trace_end(e);",
  ];
  const fn = `trace_${i}`;
  const nargs = Math.max(-1, ...mine.map((f) => f.source.from === "arg" ? f.source.index : -1)) + 1;
  const head = (() => {
    switch (p.kind) {
      case "tracepoint":
        return `int ${fn}(void *ctx)`;
      case "fentry":
      case "fexit":
        return `int BPF_PROG(${fn})`;
      case "kprobe":
      case "uprobe":
        return `int BPF_KPROBE(${fn})`;
      case "kretprobe":
      case "uretprobe":
        return `int BPF_KRETPROBE(${fn})`;
    }
  })();
  const define = p.kind === "fexit" ? [`#define TRACE_NARGS ${p.argCount ?? nargs}`] : [];
  return [
    `/* ${p.label} */`,
    ...define,
    `SEC(${cString(p.section)})`,
    head,
    "{",
    ...body.map((l) => "\t" + l),
    "}",
    ...(define.length ? ["#undef TRACE_NARGS"] : []),
    "",
  ].join("\n");
}

/** Options of `traceProgram`. */
export interface TraceProgramOptions {
  /** What passing events become. */
  mode: TraceMode;
  /** The C condition of the in-kernel filter (`kernelFilter`), if any. */
  filter?: string;
  /** Sampling period of `counts`/`hist` in ms (default 1000). */
  intervalMs?: number;
}

/** The BPF C source of a trace of `probes`. */
export function traceProgram(probes: Probe[], opts: TraceProgramOptions): string {
  const event = traceEvent(probes);
  const { mode } = opts;
  const interval = opts.intervalMs ?? 1000;
  const out: string[] = [
    "// Generated by ecli trace.",
    // No vmlinux.h: the fields are read at known offsets, so the UAPI headers are enough
    // (and clang parses them in a fraction of the time).
    "#include <linux/bpf.h>",
    "#include <linux/ptrace.h>",
    "#include <bpf/bpf_helpers.h>",
    "#include <bpf/bpf_tracing.h>",
    "",
    ...["8", "16", "32", "64"].flatMap((b) => [
      `typedef __u${b} u${b};`,
      `typedef __s${b} s${b};`,
    ]),
    "",
    "struct event {",
    ...event.fields.map((f) => "\t" + eventMember(f)),
    "};",
    "",
  ];
  let deliver: string;
  if (mode.kind === "events") {
    out.push(
      "struct {",
      "\t__uint(type, BPF_MAP_TYPE_RINGBUF);",
      "\t__uint(max_entries, 1 << 22);",
      '} events SEC(".maps");',
      "",
    );
    deliver = "bpf_ringbuf_output(&events, e, sizeof(*e), 0);";
  } else if (mode.kind === "count") {
    const f = fieldOf(event, mode.field, "--count-by");
    out.push(
      "struct count_key {",
      "\t" + eventMember(f),
      "};",
      "",
      `/// @sample {"interval": ${interval}}`,
      "struct {",
      "\t__uint(type, BPF_MAP_TYPE_HASH);",
      "\t__uint(max_entries, 10240);",
      "\t__type(key, struct count_key);",
      "\t__type(value, u64);",
      '} counts SEC(".maps");',
      "",
    );
    const copy = f.value.kind === "int"
      ? `k.${f.name} = e->${f.name};`
      : `__builtin_memcpy(k.${f.name}, e->${f.name}, sizeof(k.${f.name}));`;
    deliver = [
      "struct count_key k = {};",
      copy,
      "u64 one = 1, *c = bpf_map_lookup_elem(&counts, &k);",
      "if (c)",
      "\t__sync_fetch_and_add(c, 1);",
      "else",
      "\tbpf_map_update_elem(&counts, &k, &one, BPF_NOEXIST);",
    ].join("\n\t");
  } else {
    const f = fieldOf(event, mode.field, "--hist");
    if (f.value.kind !== "int") {
      throw new TraceError(`--hist: field '${f.name}' is not an integer (${f.decl})`);
    }
    out.push(
      "struct hist {",
      `\tu64 slots[${HIST_SLOTS}];`,
      "};",
      "",
      `/// @sample {"interval": ${interval}, "type": "log2_hist", "unit": ${cString(f.name)}}`,
      "struct {",
      "\t__uint(type, BPF_MAP_TYPE_ARRAY);",
      "\t__uint(max_entries, 1);",
      "\t__type(key, u32);",
      "\t__type(value, struct hist);",
      '} hist SEC(".maps");',
      "",
    );
    // Negative values count as 0: log2 buckets start at [0, 1].
    const v = f.value.type.startsWith("s")
      ? `e->${f.name} < 0 ? 0 : (u64)e->${f.name}`
      : `(u64)e->${f.name}`;
    deliver = [
      "struct hist *h = bpf_map_lookup_elem(&hist, &zero);",
      "if (!h)",
      "\treturn 0;",
      `u32 slot = trace_log2(${v});`,
      `if (slot >= ${HIST_SLOTS})`,
      `\tslot = ${HIST_SLOTS - 1};`,
      "__sync_fetch_and_add(&h->slots[slot], 1);",
    ].join("\n\t");
  }
  out.push(
    "struct {",
    "\t__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);",
    "\t__uint(max_entries, 1);",
    "\t__type(key, u32);",
    "\t__type(value, struct event);",
    '} scratch SEC(".maps");',
    "",
    "/* Events that passed the filter: what reached user space or the aggregation. */",
    "struct {",
    "\t__uint(type, BPF_MAP_TYPE_ARRAY);",
    "\t__uint(max_entries, 1);",
    "\t__type(key, u32);",
    "\t__type(value, u64);",
    '} submitted SEC(".maps");',
    "",
    "static __always_inline struct event *trace_begin(void)",
    "{",
    "\tu32 zero = 0;",
    "\tstruct event *e = bpf_map_lookup_elem(&scratch, &zero);",
    "\tif (!e)",
    "\t\treturn 0;",
    "\tu64 id = bpf_get_current_pid_tgid();",
    "\te->ts = bpf_ktime_get_ns();",
    "\te->pid = id >> 32;",
    "\te->tid = (u32)id;",
    "\tbpf_get_current_comm(e->comm, sizeof(e->comm));",
    "\treturn e;",
    "}",
    "",
    "/* A user pointer, or a kernel one (fentry arguments may be either). */",
    "static __always_inline void trace_str(char *dst, u64 ptr)",
    "{",
    `\tif (bpf_probe_read_user_str(dst, ${STRING_SIZE}, (const void *)ptr) < 0 &&`,
    `\t    bpf_probe_read_kernel_str(dst, ${STRING_SIZE}, (const void *)ptr) < 0)`,
    "\t\tdst[0] = 0;",
    "}",
    "",
    "static __always_inline void trace_kernel_str(char *dst, const void *src)",
    "{",
    `\tif (bpf_probe_read_kernel_str(dst, ${STRING_SIZE}, src) < 0)`,
    "\t\tdst[0] = 0;",
    "}",
    "",
    "static __always_inline void trace_name(char *dst, const char *name)",
    "{",
    `\tfor (int i = 0; i < ${PROBE_NAME_SIZE}; i++) {`,
    "\t\tdst[i] = name[i];",
    "\t\tif (!name[i])",
    "\t\t\tbreak;",
    "\t}",
    "}",
    "",
    "static __always_inline u32 trace_log2(u64 v)",
    "{",
    "\tu32 r = 0;",
    "\tif (v >> 32) { v >>= 32; r += 32; }",
    "\tif (v >> 16) { v >>= 16; r += 16; }",
    "\tif (v >> 8) { v >>= 8; r += 8; }",
    "\tif (v >> 4) { v >>= 4; r += 4; }",
    "\tif (v >> 2) { v >>= 2; r += 2; }",
    "\tif (v >> 1) { r += 1; }",
    "\treturn r;",
    "}",
    "",
    "static __always_inline int trace_end(struct event *e)",
    "{",
    ...(opts.filter ? [`\tif (!(${opts.filter}))`, "\t\treturn 0;"] : []),
    "\tu32 zero = 0;",
    "\tu64 *n = bpf_map_lookup_elem(&submitted, &zero);",
    "\tif (n)",
    "\t\t__sync_fetch_and_add(n, 1);",
    "\t" + deliver,
    "\treturn 0;",
    "}",
    "",
    ...probes.map((p, i) => programFor(p, i, event)),
    'char LICENSE[] SEC("license") = "GPL";',
    "",
  );
  return out.join("\n");
}
