import type { Btf } from "../btf/mod.ts";
import { buildDecoder, type GeneratedDecoder } from "../decode/mod.ts";
import {
  type EmitFormat,
  HandlerDispatcher,
  HandlerError,
  type HandlerObject,
  makeEmitter,
  makeShell,
  type MapHandle,
  type OnError,
} from "../handler/mod.ts";
import type { ExportPlan } from "./exports.ts";
import type { ConsumerSetup, EventConsumer } from "./runner.ts";
import type { OutputFormat } from "./printer.ts";

/** Options of `handlerConsumer`. */
export interface HandlerRunOptions {
  /** Output format of emitted values. */
  format: OutputFormat;
  /** What a handler exception does (default: stop the run). */
  onError?: OnError;
  /** Events held while an async handler awaits (default 10000). */
  queueLimit?: number;
  /** Diagnostics. */
  log: (line: string) => void;
  /** Map handles for `ctx.maps` (default: none). */
  maps?: (setup: ConsumerSetup) => Record<string, MapHandle>;
  /** Only events for which this holds reach the handler (`--filter`). */
  filter?: (event: unknown) => boolean;
  /** Emitted objects keep only these keys, in this order (`--fields`). */
  fields?: string[];
  /** How emitted values print (default: `format`): also csv, tsv, logfmt. */
  emitFormat?: EmitFormat;
  /** Where emitted values go instead of the output (`--exec`); drained at the end. */
  sink?: { emit(value: unknown): void; drain(): Promise<void> };
  /** Commands `ctx.$` runs at once (default 4). */
  shellConcurrency?: number;
}

/** The handler that passes every event on as it is: `--filter`/`--fields`/`--format` alone. */
export const PASS_EVENTS: HandlerObject = { event: (e) => e };

/** `handler` behind a `--filter` predicate: events it rejects never reach the handler. */
function filtered(handler: HandlerObject, keep: (e: unknown) => boolean): HandlerObject {
  const event = handler.event;
  if (!event) return handler;
  return { ...handler, event: (e, ctx) => keep(e) ? event.call(handler, e, ctx) : undefined };
}

/** Picks `fields` of emitted objects; a missing one is an error naming what there is. */
function picker(fields: string[], emit: (v: unknown) => void): (v: unknown) => void {
  return (v) => {
    if (!v || typeof v !== "object" || Array.isArray(v)) return emit(v);
    const o = v as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    for (const f of fields) {
      if (!(f in o)) {
        throw new HandlerError(
          `--fields: no field '${f}' (there are: ${Object.keys(o).join(", ")})`,
        );
      }
      out[f] = o[f];
    }
    emit(out);
  };
}

/**
 * A consumer that hands decoded events and sampling rounds to a user's handler instead of
 * printing them; what the handler returns or emits is printed in the run's format.
 */
export function handlerConsumer(userHandler: HandlerObject, opts: HandlerRunOptions) {
  // The documented order: filter → handler → fields → format (or --exec).
  const handler = opts.filter ? filtered(userHandler, opts.filter) : userHandler;
  return (setup: ConsumerSetup): EventConsumer => {
    const print = opts.sink
      ? (v: unknown) => opts.sink!.emit(v)
      : makeEmitter(opts.emitFormat ?? opts.format, (t) => setup.out.write(t));
    const emit = opts.fields ? picker(opts.fields, print) : print;
    const $ = makeShell({ concurrency: opts.shellConcurrency, log: opts.log });
    const maps = opts.maps?.(setup) ?? {};
    const dispatcher = new HandlerDispatcher(handler, (map) => ({
      map,
      args: setup.args,
      maps,
      emit,
      stop: () => setup.stop(),
      $,
    }), {
      onError: opts.onError,
      queueLimit: opts.queueLimit,
      emit,
      stop: (e) => setup.stop(e),
      log: opts.log,
    });
    const decoders = new Map<ExportPlan, { value: GeneratedDecoder; key?: GeneratedDecoder }>();
    const decoderOf = (plan: ExportPlan, btf: Btf) => {
      let d = decoders.get(plan);
      if (!d) {
        d = plan.kind === "sample"
          ? { key: buildDecoder(btf, plan.keyTypeId), value: buildDecoder(btf, plan.valueTypeId) }
          : { value: buildDecoder(btf, plan.typeId) };
        decoders.set(plan, d);
      }
      return d;
    };
    const wantsEvents = dispatcher.wantsEvents;
    let lastPlan: ExportPlan | undefined;
    let lastDecode: GeneratedDecoder | undefined;
    // One export at a time is the common case: skip the map lookup then.
    const eventDecoder = (plan: ExportPlan): GeneratedDecoder => {
      if (plan !== lastPlan) {
        lastPlan = plan;
        lastDecode = decoderOf(plan, setup.btf).value;
      }
      return lastDecode!;
    };
    return {
      record(plan, bytes) {
        if (!wantsEvents) return;
        dispatcher.event(plan.map.name, eventDecoder(plan)(bytes));
      },
      recordAt(plan, view, offset, length) {
        if (!wantsEvents) return;
        dispatcher.event(plan.map.name, eventDecoder(plan).at(view, offset, length));
      },
      sample(plan, entries) {
        if (!dispatcher.wantsSamples) return;
        const d = decoderOf(plan, setup.btf);
        dispatcher.sample(
          plan.map.name,
          entries.map(([k, v]) => ({ key: d.key!(k), value: d.value(v) })),
        );
      },
      start: () => dispatcher.start(),
      async finish() {
        await dispatcher.stop();
        await opts.sink?.drain();
        if (dispatcher.dropped) {
          opts.log(
            `ecli: ${dispatcher.dropped} events dropped while the handler was busy (queue limit ${
              opts.queueLimit ?? 10_000
            })`,
          );
        }
      },
    };
  };
}
