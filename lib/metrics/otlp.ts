/**
 * OTLP/HTTP metrics push in the JSON encoding (`POST <endpoint>/v1/metrics`,
 * `application/json`), written by hand: the payload is small and fixed, and it works alike in
 * Deno, Bun and the compiled executable. Counters are cumulative monotonic sums, gauges are
 * gauges, histograms are explicit-bucket histograms with cumulative temporality; 64-bit
 * integers are strings, as the OTLP JSON mapping asks.
 * @module
 */
import { VERSION } from "../../version.ts";
import { MetricsError } from "./errors.ts";
import type { HistogramSeries, Labels, MetricRegistry, ScalarSeries } from "./registry.ts";

/** OTLP `AggregationTemporality.CUMULATIVE`. */
const CUMULATIVE = 2;

/** The metrics endpoint of an OTLP/HTTP URL: `/v1/metrics` unless the URL names a path. */
export function otlpMetricsUrl(text: string, flag = "--otlp"): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new MetricsError(`${flag} '${text}': not a URL (e.g. http://127.0.0.1:4318)`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new MetricsError(`${flag} '${text}': OTLP/HTTP needs http:// or https://`);
  }
  if (url.pathname === "/" || url.pathname === "") url.pathname = "/v1/metrics";
  return url.toString();
}

function attributes(labels: Labels) {
  return Object.entries(labels).map(([key, v]) => ({ key, value: { stringValue: v } }));
}

/** Nanoseconds since the epoch as the decimal string OTLP JSON uses. */
function nanos(ms: number): string {
  return (BigInt(Math.round(ms)) * 1_000_000n).toString();
}

/** The `ExportMetricsServiceRequest` (JSON form) for `registries` at `nowMs`. */
export function otlpPayload(
  registries: Iterable<MetricRegistry>,
  startMs: number,
  nowMs: number,
  resource: Labels = { "service.name": "ecli" },
): unknown {
  const start = nanos(startMs);
  const time = nanos(nowMs);
  const metrics: unknown[] = [];
  const byName = new Map<string, { points: unknown[] }>();
  for (const r of registries) {
    for (const f of r.families.values()) {
      const point = (s: ScalarSeries | HistogramSeries) => {
        const base = {
          attributes: attributes({ ...r.constLabels, ...s.labels }),
          startTimeUnixNano: start,
          timeUnixNano: time,
        };
        if (f.type !== "histogram") return { ...base, asDouble: (s as ScalarSeries).value };
        const h = s as HistogramSeries;
        const counts = [...h.counts, h.overflow];
        return {
          ...base,
          count: String(counts.reduce((a, b) => a + b, 0)),
          sum: h.sum,
          bucketCounts: counts.map(String),
          explicitBounds: f.bounds ?? [],
        };
      };
      const points = [...f.series.values()].map(point);
      const seen = byName.get(f.name);
      if (seen) {
        seen.points.push(...points);
        continue;
      }
      byName.set(f.name, { points });
      const name = f.type === "counter" ? f.name.replace(/_total$/, "") : f.name;
      const data = f.type === "counter"
        ? { sum: { aggregationTemporality: CUMULATIVE, isMonotonic: true, dataPoints: points } }
        : f.type === "gauge"
        ? { gauge: { dataPoints: points } }
        : { histogram: { aggregationTemporality: CUMULATIVE, dataPoints: points } };
      metrics.push({ name, description: f.help, ...data });
    }
  }
  return {
    resourceMetrics: [{
      resource: { attributes: attributes(resource) },
      scopeMetrics: [{ scope: { name: "ecli-ts", version: VERSION }, metrics }],
    }],
  };
}

/** Pushes registries to an OTLP/HTTP endpoint every `intervalMs`, and once more at close. */
export class OtlpPusher {
  /** Pushes that the receiver accepted. */
  pushed = 0;
  #timer?: ReturnType<typeof setInterval>;
  #failing = false;
  #start = Date.now();
  #inflight: Promise<void> = Promise.resolve();

  /** Prepares pushes of `registries()` to `url` (from `otlpMetricsUrl`). */
  constructor(
    readonly url: string,
    readonly registries: () => Iterable<MetricRegistry>,
    readonly intervalMs: number,
    readonly log: (line: string) => void,
  ) {}

  /** Starts the periodic pushes. */
  start(): void {
    this.#timer ??= setInterval(() => void this.push(), this.intervalMs);
  }

  /** One push now; a failure is logged once until a push succeeds again (never thrown). */
  push(): Promise<void> {
    this.#inflight = this.#inflight.then(async () => {
      try {
        const res = await fetch(this.url, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify(otlpPayload(this.registries(), this.#start, Date.now())),
          signal: AbortSignal.timeout(Math.max(1000, Math.min(this.intervalMs, 10_000))),
        });
        await res.body?.cancel();
        if (!res.ok) throw new Error(`HTTP ${res.status}`);
        this.pushed++;
        if (this.#failing) this.log(`ecli: OTLP push to ${this.url} works again`);
        this.#failing = false;
      } catch (e) {
        if (!this.#failing) {
          this.log(`ecli: OTLP push to ${this.url} failed: ${(e as Error).message}`);
        }
        this.#failing = true;
      }
    });
    return this.#inflight;
  }

  /** Stops the timer and makes a last push with the final values. */
  async close(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.push();
  }
}
