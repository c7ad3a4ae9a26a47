/**
 * Sampled maps as metrics, without config: a `log2_hist`/`linear_hist` map becomes a
 * histogram whose `le` bounds are the slot ends the table prints (`0 -> 1` is `le="1"`,
 * `2 -> 3` is `le="3"`, …), and a hash/array of integers becomes one gauge (or counter, with
 * `/// @metric counter` on the map) per integer value field. Key fields (and string value
 * fields, such as a `comm`) are the labels. A map cleared after every round (`clear_map`)
 * adds each round to the metric; any other map already holds running totals, so each round
 * replaces the metric's series.
 * @module
 */
import type { Btf } from "../btf/mod.ts";
import { buildDecoder } from "../decode/mod.ts";
import type { SampledEntry } from "../export/mod.ts";
import type { MapMeta } from "../package/mod.ts";
import { labelRenames, type MapMetricConfig } from "./config.ts";
import { MetricsError } from "./errors.ts";
import { sanitizeName } from "./exposition.ts";
import type { Labels, MetricRegistry } from "./registry.ts";

type Scalar = string | number | bigint | boolean;

/** Scalar members of a decoded value, nested names joined by `_`; `name` for a bare scalar. */
export function flattenDecoded(v: unknown, name: string, out: [string, Scalar][] = []) {
  if (v === null || v === undefined) return out;
  if (typeof v === "object") {
    // Arrays (slots, buffers) are not labels or single values.
    if (Array.isArray(v) || ArrayBuffer.isView(v)) return out;
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
      flattenDecoded(x, name && name !== "key" && name !== "value" ? `${name}_${k}` : k, out);
    }
    return out;
  }
  out.push([name, v as Scalar]);
  return out;
}

/** Sums two decoded per-CPU values: numbers add, arrays add slot by slot, strings keep `a`. */
function addDecoded(a: unknown, b: unknown): unknown {
  if (typeof a === "number" && typeof b === "number") return a + b;
  if (typeof a === "bigint" && typeof b === "bigint") return a + b;
  if (Array.isArray(a) && Array.isArray(b)) return a.map((x, i) => addDecoded(x, b[i]));
  if (ArrayBuffer.isView(a) && ArrayBuffer.isView(b)) {
    const x = a as unknown as ArrayLike<number | bigint>;
    const y = b as unknown as ArrayLike<number | bigint>;
    return Array.from(x, (v, i) => addDecoded(v, y[i]));
  }
  if (a && b && typeof a === "object" && typeof b === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(a)) {
      out[k] = addDecoded(v, (b as Record<string, unknown>)[k]);
    }
    return out;
  }
  return a;
}

/** The `@metric` doc-comment annotation: `counter`, `gauge`, or `{"type","name","help"}`. */
export function metricAnnotation(map: MapMeta): { type?: string; name?: string; help?: string } {
  const m = (map as Record<string, unknown>).metric;
  if (typeof m === "string") return { type: m.trim() };
  if (m && typeof m === "object") {
    const o = m as Record<string, unknown>;
    const str = (x: unknown) => typeof x === "string" ? x : undefined;
    return { type: str(o.type), name: str(o.name), help: str(o.help) };
  }
  return {};
}

/** Upper bound of slot `i` as the table prints it: log2 `2^(i+1)-1`, linear `i`. */
export function slotBounds(type: "log2_hist" | "linear_hist", slots: number): number[] {
  return Array.from({ length: slots }, (_, i) => type === "log2_hist" ? 2 ** (i + 1) - 1 : i);
}

/** The lowest value slot `i` holds (log2: 0, 2, 4, 8, …; linear: i); `_sum` adds these. */
function slotLow(type: "log2_hist" | "linear_hist", i: number): number {
  return type === "log2_hist" ? (i === 0 ? 0 : 2 ** i) : i;
}

/** What `sampledMapMetrics` needs. */
export interface SampledMapSource {
  /** The registry written to. */
  registry: MetricRegistry;
  /** The object's BTF. */
  btf: Btf;
  /** The object's name (metric name prefix). */
  objectName: string;
  /** The map's meta entry (with `sample`). */
  map: MapMeta;
  /** BTF type of keys. */
  keyTypeId: number;
  /** BTF type of values. */
  valueTypeId: number;
  /** This map's part of `--metrics-config`. */
  config?: MapMetricConfig;
  /** Called for each entry that cannot be decoded as a metric. */
  decodeError(): void;
}

/**
 * Builds the per-round update of a sampled map's metrics. Throws `MetricsError` when the
 * config names a field the map does not have.
 */
export function sampledMapMetrics(src: SampledMapSource): (entries: SampledEntry[]) => void {
  const { registry, btf, map, config = {} } = src;
  const sample = map.sample!;
  const decodeKey = buildDecoder(btf, src.keyTypeId);
  const decodeValue = buildDecoder(btf, src.valueTypeId);
  const valueSize = btf.sizeOf(src.valueTypeId);
  const stride = Math.ceil(valueSize / 8) * 8;
  const hist = sample.type === "log2_hist" || sample.type === "linear_hist"
    ? sample.type
    : undefined;
  const annotation = metricAnnotation(map);
  const unit = sample.unit && sample.unit !== "(unit)" ? `_${sample.unit}` : "";
  const base = sanitizeName(
    config.name ?? annotation.name ?? `${src.objectName}_${map.name}${hist ? unit : ""}`,
  );
  const help = config.help ?? annotation.help ?? (map as { description?: string }).description ??
    `Map '${map.name}' of ${src.objectName}, sampled every ${sample.interval} ms`;
  const type = config.type ?? (annotation.type === "counter" ? "counter" : "gauge");
  const accumulate = !!sample.clear_map;

  // Field names from a zero-filled key and value: what labels and fields may name.
  const keyNames = flattenDecoded(decodeKey(new Uint8Array(btf.sizeOf(src.keyTypeId))), "key")
    .map(([n]) => n);
  const valueFields = flattenDecoded(decodeValue(new Uint8Array(valueSize)), "value");
  const stringFields = valueFields.filter(([, v]) => typeof v === "string").map(([n]) => n);
  const numberFields = valueFields.filter(([, v]) => typeof v !== "string").map(([n]) => n);
  const labelFields = [...keyNames, ...stringFields];
  const known = [...labelFields, ...numberFields];
  const check = (names: Iterable<string>, pool: string[], what: string) => {
    for (const n of names) {
      if (!pool.includes(n)) {
        throw new MetricsError(
          `metrics config: map '${map.name}' has no ${what} '${n}' (${what}s: ${
            pool.join(", ") || "none"
          })`,
        );
      }
    }
  };
  const renames = config.labels
    ? labelRenames(config.labels)
    : new Map(labelFields.map((f) => [f, f]));
  check(renames.keys(), known, "field");
  check(renames.keys(), labelFields, "label field");
  if (config.fields) check(config.fields, hist ? [] : numberFields, "value field");
  const picked = config.fields ?? numberFields;
  const labelOf = new Map([...renames].map(([f, l]) => [f, sanitizeName(l, true)]));

  const decodeEntry = (k: Uint8Array, v: Uint8Array): [Labels, unknown] => {
    let value = decodeValue(v.length > stride ? v.subarray(0, valueSize) : v);
    // Per-CPU maps hand one slot per CPU: the metric is their sum.
    for (let off = stride; off + valueSize <= v.length; off += stride) {
      value = addDecoded(value, decodeValue(v.subarray(off, off + valueSize)));
    }
    const labels: Labels = {};
    for (
      const [n, x] of [...flattenDecoded(decodeKey(k), "key"), ...flattenDecoded(value, "value")]
    ) {
      const l = labelOf.get(n);
      if (l !== undefined && (typeof x === "string" || keyNames.includes(n))) labels[l] = String(x);
    }
    return [labels, value];
  };

  if (hist) {
    let bounds: number[] | undefined;
    return (entries) => {
      if (!accumulate) registry.clearSeries(base);
      for (const [k, v] of entries) {
        try {
          const [labels, value] = decodeEntry(k, v);
          const slots = (value as { slots?: ArrayLike<number | bigint> }).slots;
          if (!slots || typeof slots !== "object" || slots.length === undefined) {
            throw new MetricsError("histogram value has no slots");
          }
          const counts = Array.from(slots, Number);
          bounds ??= slotBounds(hist, counts.length);
          let sum = 0;
          for (let i = 0; i < counts.length; i++) sum += counts[i] * slotLow(hist, i);
          registry.observeBuckets(
            base,
            help,
            bounds,
            labels,
            counts,
            sum,
            accumulate ? "add" : "set",
          );
        } catch {
          src.decodeError();
        }
      }
    };
  }
  const names = new Map(
    picked.map((
      f,
    ) => [f, sanitizeName(numberFields.length === 1 && !config.fields ? base : `${base}_${f}`)]),
  );
  return (entries) => {
    if (!(accumulate && type === "counter")) {
      for (const n of names.values()) registry.clearSeries(n);
    }
    for (const [k, v] of entries) {
      try {
        const [labels, value] = decodeEntry(k, v);
        for (const [f, x] of flattenDecoded(value, "value")) {
          const name = names.get(f);
          if (name === undefined || typeof x === "string") continue;
          const n = Number(x);
          if (accumulate && type === "counter") registry.inc(name, labels, n, help);
          else registry.set(name, type, labels, n, help);
        }
      } catch {
        src.decodeError();
      }
    }
  };
}
