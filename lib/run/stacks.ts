import type { Btf } from "../btf/mod.ts";
import { buildDecoder, type GeneratedDecoder, structFields } from "../decode/mod.ts";
import { MapSampler, type SampledEntry, stackMapReader } from "../export/mod.ts";
import { toJsonLine } from "../format/mod.ts";
import type { BpfObject } from "../loader/mod.ts";
import {
  FoldedStacks,
  formatStackTrace,
  type StackResolver,
  stackResolver,
  stackTraceConfig,
  Symbolizer,
} from "../symbols/mod.ts";
import { RunError } from "./errors.ts";
import type { ExportPlan } from "./exports.ts";
import type { Output } from "./output.ts";
import type { OutputFormat, Printer } from "./printer.ts";
import type { ConsumerSetup, EventConsumer } from "./runner.ts";

/** `BPF_MAP_TYPE_STACK_TRACE`. */
const STACK_TRACE_MAP = 7;

/**
 * The stack resolver of an export whose map has upstream's `stack_trace` interpreter, or
 * undefined. Stack ids in its events index the interpreter's `stack_map`, by default the
 * object's only `BPF_MAP_TYPE_STACK_TRACE` map.
 */
export function stackResolverFor(
  plan: ExportPlan,
  object: BpfObject,
  symbols: Symbolizer,
): StackResolver | undefined {
  let config;
  try {
    config = stackTraceConfig(plan.map.intepreter, plan.map.name);
  } catch (e) {
    throw new RunError((e as Error).message);
  }
  if (!config) return undefined;
  const stackMaps = object.maps().filter((m) => m.type === STACK_TRACE_MAP);
  let map = stackMaps.length === 1 ? stackMaps[0] : undefined;
  if (config.stack_map !== undefined) {
    map = stackMaps.find((m) => m.name === config.stack_map);
    if (!map) {
      throw new RunError(
        `map '${plan.map.name}': intepreter.stack_trace.stack_map '${config.stack_map}' is not ` +
          `a stack trace map of the object`,
      );
    }
  }
  return stackResolver(config, symbols, map && stackMapReader(map));
}

/** A decoder whose objects carry frame arrays in their stack fields (handlers, `run()`). */
export function withFrames(decode: GeneratedDecoder, stacks: StackResolver): GeneratedDecoder {
  const f = (bytes: Uint8Array, offset?: number) =>
    stacks.withFrames(decode(bytes, offset) as Record<string, unknown>);
  return Object.assign(f, {
    at: (v: DataView, o: number, n: number) =>
      stacks.withFrames(decode.at(v, o, n) as Record<string, unknown>),
  });
}

/**
 * Builds decoders of a plan (value, and key for sampled maps), with frames in place of stack
 * ids/addresses when the map has the stack_trace interpreter: one setup for handlers and
 * `run()`.
 */
export function planDecoders(
  plan: ExportPlan,
  setup: Pick<ConsumerSetup, "btf" | "object">,
  symbols: Symbolizer,
): { value: GeneratedDecoder; key?: GeneratedDecoder } {
  const stacks = stackResolverFor(plan, setup.object, symbols);
  const wrap = (d: GeneratedDecoder) => (stacks ? withFrames(d, stacks) : d);
  return plan.kind === "sample"
    ? {
      key: wrap(buildDecoder(setup.btf, plan.keyTypeId)),
      value: wrap(buildDecoder(setup.btf, plan.valueTypeId)),
    }
    : { value: wrap(buildDecoder(setup.btf, plan.typeId)) };
}

/** A sampled value as a count: a number, or the first numeric field of a struct. */
function countOf(value: unknown): number {
  if (typeof value === "number" || typeof value === "bigint") return Number(value);
  if (value && typeof value === "object") {
    for (const v of Object.values(value)) {
      if (typeof v === "number" || typeof v === "bigint") return Number(v);
    }
  }
  return 1;
}

/**
 * Prints a stack-trace export: plain text as upstream does (`COMM: … @ CPU …`, `Kernel:`,
 * `Userspace:`; a sampled entry adds `value: <value>`), JSON with frame arrays.
 */
export function makeStackPrinter(
  plan: ExportPlan,
  btf: Btf,
  format: OutputFormat,
  out: Output,
  stacks: StackResolver,
): Printer {
  if (plan.kind !== "sample") {
    const decode = buildDecoder(btf, plan.typeId);
    const print = (e: unknown) => {
      const obj = e as Record<string, unknown>;
      if (format === "json") return out.write(toJsonLine(stacks.withFrames(obj)) + "\n");
      const r = stacks.resolve(obj);
      if (r) out.write(formatStackTrace(r));
    };
    return { record: (b) => print(decode(b)), recordAt: (v, o, n) => print(decode.at(v, o, n)) };
  }
  const key = buildDecoder(btf, plan.keyTypeId);
  const value = buildDecoder(btf, plan.valueTypeId);
  const scalar = !structFields(btf, plan.valueTypeId)[0]?.name;
  return {
    sample(entries) {
      for (const [k, v] of entries) {
        const kObj = key(k) as Record<string, unknown>;
        const val = value(v);
        if (format === "json") {
          out.write(toJsonLine({ key: stacks.withFrames(kObj), value: val }) + "\n");
          continue;
        }
        const r = stacks.resolve(kObj);
        if (!r) continue;
        out.write(formatStackTrace(r) + `value: ${scalar ? String(val) : toJsonLine(val)}\n`);
      }
    },
  };
}

/**
 * `--folded`: counts the stacks of every stack-trace export and prints them once at the end
 * as folded lines (`comm;main;work;…;kfn_[k] 42`) for flamegraph.pl or speedscope. Events
 * count one each; a sampled map's entry counts its value (a map that is not cleared reports
 * totals, so each round replaces the previous one).
 */
export function foldedConsumer(setup: ConsumerSetup): EventConsumer {
  const symbols = new Symbolizer();
  const folded = new Map<ExportPlan, FoldedStacks>();
  const state = new Map<
    ExportPlan,
    { stacks: StackResolver; value: GeneratedDecoder; key?: GeneratedDecoder }
  >();
  const of = (plan: ExportPlan) => state.get(plan)!;
  const add = (plan: ExportPlan, e: unknown, n: number) => {
    const r = of(plan).stacks.resolve(e as Record<string, unknown>);
    if (r) folded.get(plan)!.add(r, n);
  };
  const begin = (plan: ExportPlan) => {
    const stacks = stackResolverFor(plan, setup.object, symbols);
    if (!stacks) {
      throw new RunError(
        `--folded needs stack traces, but map '${plan.map.name}' has no stack_trace intepreter`,
      );
    }
    folded.set(plan, new FoldedStacks());
    state.set(
      plan,
      plan.kind === "sample"
        ? {
          stacks,
          key: buildDecoder(setup.btf, plan.keyTypeId),
          value: buildDecoder(setup.btf, plan.valueTypeId),
        }
        : { stacks, value: buildDecoder(setup.btf, plan.typeId) },
    );
  };
  const sample = (plan: ExportPlan, entries: SampledEntry[]) => {
    const s = of(plan);
    if (!plan.map.sample?.clear_map) folded.get(plan)!.clear();
    for (const [k, v] of entries) add(plan, s.key!(k), countOf(s.value(v)));
  };
  return {
    begin,
    record: (plan, bytes) => add(plan, of(plan).value(bytes), 1),
    recordAt: (plan, v, o, n) => add(plan, of(plan).value.at(v, o, n), 1),
    sample,
    finish() {
      // One last round of each sampled map: what came after the last interval counts too.
      for (const plan of folded.keys()) {
        if (plan.kind !== "sample") continue;
        const map = setup.object.map(plan.map.name);
        sample(plan, new MapSampler(map, { interval: 0, clear: false }).sample());
      }
      for (const f of folded.values()) setup.out.write(f.text());
      return Promise.resolve();
    },
  };
}
