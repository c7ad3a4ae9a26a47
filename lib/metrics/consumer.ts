/**
 * The metrics tap of a run: an `EventConsumer` that counts what passes (records per event
 * map, lost records, polls, sampling rounds turned into metrics, decode errors) and hands
 * everything on to the consumer that prints or runs the handler.
 * @module
 */
import { buildDecoder } from "../decode/mod.ts";
import type { ConsumerSetup, EventConsumer, ExportPlan } from "../run/mod.ts";
import { labelRenames, type MetricsConfig } from "./config.ts";
import { MetricsError } from "./errors.ts";
import { sanitizeName } from "./exposition.ts";
import { flattenDecoded, sampledMapMetrics } from "./map_metrics.ts";
import type { Labels, MetricRegistry, ScalarSeries } from "./registry.ts";

/** Names of the run-time metrics every run exports. */
export const RUN_METRICS = {
  events: "ecli_events",
  lost: "ecli_events_lost",
  polls: "ecli_polls",
  decodeErrors: "ecli_decode_errors",
  attached: "ecli_programs_attached",
} as const;

/** Checks that every map the config names exists (sampled or event map) in the package. */
function checkConfigMaps(config: MetricsConfig, setup: ConsumerSetup, plans: ExportPlan[]) {
  const sampled = plans.filter((p) => p.kind === "sample").map((p) => p.map.name);
  const events = plans.filter((p) => p.kind !== "sample").map((p) => p.map.name);
  const all = setup.meta.bpf_skel.maps.map((m) => m.name);
  const check = (names: string[], pool: string[], what: string) => {
    for (const n of names) {
      if (pool.includes(n)) continue;
      const why = all.includes(n) ? `map '${n}' is not a ${what} map of this run` : `no map '${n}'`;
      throw new MetricsError(
        `metrics config: ${why} (${what} maps: ${pool.join(", ") || "none"})`,
      );
    }
  };
  check(Object.keys(config.maps), sampled, "sampled");
  check(Object.keys(config.events), events, "event");
}

/**
 * Wraps the consumer `inner` makes so that the run's data also lands in `registry`. The
 * config's map and field names are checked when the run's export plans are known (after
 * load, before any event): a wrong name fails the run and detaches it.
 */
export function metricsConsumer(
  registry: MetricRegistry,
  config: MetricsConfig,
  inner: (setup: ConsumerSetup) => EventConsumer,
): (setup: ConsumerSetup) => EventConsumer {
  return (setup) => {
    const all = setup.plans ?? [];
    checkConfigMaps(config, setup, all);
    // `readsize.bpf.o` opens as `readsize_bpf`: the metric prefix is `readsize`.
    const objectName = setup.object.name.replace(/_bpf$/, "");
    const labelsOf = (plan: ExportPlan): Labels => ({ map: plan.map.name });
    // Every export map's counter exists from the start: a scrape reads 0, not nothing.
    const decodeErrors = (plan: ExportPlan) => {
      const s = registry.scalar(
        RUN_METRICS.decodeErrors,
        "counter",
        labelsOf(plan),
        "Records or map entries that could not be decoded into metrics",
      );
      return () => {
        if (s) s.value++;
      };
    };
    type Tap = {
      /** The series counting this map's records. */
      events?: ScalarSeries;
      record?: (view: DataView, offset: number, length: number) => void;
      sample?: ReturnType<typeof sampledMapMetrics>;
    };
    const taps = new Map<ExportPlan, Tap>();
    for (const plan of all) {
      const onError = decodeErrors(plan);
      if (plan.kind === "sample") {
        const cfg = config.maps[plan.map.name];
        if (cfg?.disabled) continue;
        taps.set(plan, {
          sample: sampledMapMetrics({
            registry,
            btf: setup.btf,
            objectName,
            map: plan.map,
            keyTypeId: plan.keyTypeId,
            valueTypeId: plan.valueTypeId,
            config: cfg,
            decodeError: onError,
          }),
        });
        continue;
      }
      const labels = labelsOf(plan);
      // Present from the start, so a scrape before the first event reads 0, not nothing.
      const events = registry.scalar(
        RUN_METRICS.events,
        "counter",
        labels,
        "Records delivered from each event map",
      );
      registry.inc(
        RUN_METRICS.lost,
        labels,
        0,
        "Records the kernel reported lost (perf buffer full)",
      );
      const cfg = config.events[plan.map.name];
      if (!cfg?.labels && !cfg?.name) {
        taps.set(plan, { events });
        continue;
      }
      // Counting by event fields, as upstream's exporter counters do: the record is decoded.
      const decode = buildDecoder(setup.btf, plan.typeId);
      const renames = labelRenames(cfg.labels ?? []);
      const fields = flattenDecoded(decode(new Uint8Array(setup.btf.sizeOf(plan.typeId))), "value")
        .map(([n]) => n);
      for (const f of renames.keys()) {
        if (!fields.includes(f)) {
          throw new MetricsError(
            `metrics config: event map '${plan.map.name}' has no field '${f}' (fields: ${
              fields.join(", ")
            })`,
          );
        }
      }
      const name = sanitizeName(cfg.name ?? `${objectName}_${plan.map.name}_events`);
      const help = cfg.help ??
        `Events of map '${plan.map.name}' by ${[...renames.keys()].join(", ")}`;
      const labelNames = new Map([...renames].map(([f, l]) => [f, sanitizeName(l, true)]));
      taps.set(plan, {
        events,
        record: (view, offset, length) => {
          try {
            const ev: Labels = {};
            for (const [f, v] of flattenDecoded(decode.at(view, offset, length), "value")) {
              const l = labelNames.get(f);
              if (l !== undefined) ev[l] = String(v);
            }
            registry.inc(name, ev, 1, help);
          } catch {
            onError();
          }
        },
      });
    }
    registry.set(
      RUN_METRICS.attached,
      "gauge",
      { object: objectName },
      setup.object.attachments.length,
      "BPF programs attached by this run",
    );
    const c = inner(setup);
    const tapped: EventConsumer = {
      begin: c.begin?.bind(c),
      start: c.start?.bind(c),
      finish: c.finish?.bind(c),
      record(plan, bytes) {
        const tap = taps.get(plan);
        if (tap?.events) tap.events.value++;
        tap?.record?.(
          new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength),
          0,
          bytes.length,
        );
        c.record(plan, bytes);
      },
      sample(plan, entries) {
        taps.get(plan)?.sample?.(entries);
        c.sample(plan, entries);
      },
      lost(plan, n) {
        registry.inc(RUN_METRICS.lost, labelsOf(plan), n);
        c.lost?.(plan, n);
      },
      polled(plan) {
        registry.inc(
          RUN_METRICS.polls,
          labelsOf(plan),
          1,
          "Wakeups of each event map's reader, and sampling rounds of sampled maps",
        );
        c.polled?.(plan);
      },
    };
    if (c.recordAt) {
      const recordAt = c.recordAt.bind(c);
      tapped.recordAt = (plan, view, offset, length) => {
        const tap = taps.get(plan);
        if (tap?.events) tap.events.value++;
        tap?.record?.(view, offset, length);
        recordAt(plan, view, offset, length);
      };
    }
    return tapped;
  };
}
