/**
 * Metric families as Prometheus and OpenTelemetry see them: counters, gauges and histograms
 * with label sets, a cap on the series of each family, and a counter of the label sets the cap
 * refused (so a map keyed by pid cannot grow memory without bound).
 * @module
 */

/** The kinds of metric we expose. */
export type MetricType = "counter" | "gauge" | "histogram";

/** Label name → value of one series. */
export type Labels = Record<string, string>;

/** One series of a counter or gauge. */
export interface ScalarSeries {
  /** Its labels (family labels first, in a stable order). */
  labels: Labels;
  /** The current value. */
  value: number;
}

/** One series of a histogram: counts per bucket (not cumulative), with `bounds` ascending. */
export interface HistogramSeries {
  /** Its labels. */
  labels: Labels;
  /** Count per bucket `i` (values `<= bounds[i]` and above `bounds[i-1]`); `+Inf` is implied. */
  counts: number[];
  /** Observations above the last bound. */
  overflow: number;
  /** Sum of the observations (as exact as the source allows). */
  sum: number;
}

/** A metric family: name, help, type and its series by label set. */
export interface MetricFamily {
  /** Name without the `_total` suffix of counters (added when rendered). */
  name: string;
  /** `# HELP` text. */
  help: string;
  /** Counter, gauge or histogram. */
  type: MetricType;
  /** Upper bounds of a histogram's buckets (ascending, without `+Inf`). */
  bounds?: number[];
  /** Series by their label key. */
  series: Map<string, ScalarSeries | HistogramSeries>;
}

/** Series kept per family unless configured otherwise. */
export const DEFAULT_MAX_SERIES = 1000;

/** The counter of label sets refused by the cap. */
export const DROPPED_SERIES = "ecli_metrics_series_dropped";

/** Options of a `MetricRegistry`. */
export interface RegistryOptions {
  /** Series a family may hold; more label sets are refused and counted (default 1000). */
  maxSeries?: number;
  /** Labels added to every series of this registry (e.g. a task id in `ecli server`). */
  constLabels?: Labels;
}

function labelKey(labels: Labels): string {
  return JSON.stringify(labels);
}

/**
 * The metrics of one run (one task of the server): families in creation order. Rendering a
 * set of registries is `renderMetrics` (exposition.ts).
 */
export class MetricRegistry {
  /** Families by name. */
  readonly families = new Map<string, MetricFamily>();
  /** The series cap per family. */
  readonly maxSeries: number;
  /** Labels added to every series. */
  readonly constLabels: Labels;

  /** An empty registry. */
  constructor(opts: RegistryOptions = {}) {
    this.maxSeries = opts.maxSeries ?? DEFAULT_MAX_SERIES;
    this.constLabels = opts.constLabels ?? {};
  }

  /** The family `name`, created on first use; a second use with another type is a bug. */
  family(name: string, type: MetricType, help: string, bounds?: number[]): MetricFamily {
    let f = this.families.get(name);
    if (!f) {
      f = { name, help, type, bounds, series: new Map() };
      this.families.set(name, f);
    } else if (f.type !== type) {
      throw new Error(`metric '${name}' is a ${f.type}, not a ${type}`);
    }
    return f;
  }

  /** Adds `by` to a counter series (created at 0). */
  inc(name: string, labels: Labels, by = 1, help = ""): void {
    const s = this.#scalar(this.family(name, "counter", help), labels);
    if (s) s.value += by;
  }

  /** Sets a gauge (or a counter read from a map that counts by itself). */
  set(name: string, type: "counter" | "gauge", labels: Labels, value: number, help = ""): void {
    const s = this.#scalar(this.family(name, type, help), labels);
    if (s) s.value = value;
  }

  /**
   * Adds bucket counts to a histogram series (`add`), or replaces them (`set`: the source
   * holds running totals). `counts[i]` belongs to `bounds[i]`; counts past the bounds overflow.
   */
  observeBuckets(
    name: string,
    help: string,
    bounds: number[],
    labels: Labels,
    counts: number[],
    sum: number,
    mode: "add" | "set",
  ): void {
    const f = this.family(name, "histogram", help, bounds);
    const key = labelKey(labels);
    let s = f.series.get(key) as HistogramSeries | undefined;
    if (!s) {
      if (!this.#admit(f)) return;
      s = { labels, counts: new Array(bounds.length).fill(0), overflow: 0, sum: 0 };
      f.series.set(key, s);
    }
    if (mode === "set") {
      s.counts.fill(0);
      s.overflow = 0;
      s.sum = 0;
    }
    for (let i = 0; i < counts.length; i++) {
      if (i < bounds.length) s.counts[i] += counts[i];
      else s.overflow += counts[i];
    }
    s.sum += sum;
  }

  /** The series of a counter or gauge, created at 0 (undefined when the cap refuses it). */
  scalar(
    name: string,
    type: "counter" | "gauge",
    labels: Labels,
    help = "",
  ): ScalarSeries | undefined {
    return this.#scalar(this.family(name, type, help), labels);
  }

  /** Drops every series of a family (a map that is read whole each round replaces them). */
  clearSeries(name: string): void {
    this.families.get(name)?.series.clear();
  }

  #scalar(f: MetricFamily, labels: Labels): ScalarSeries | undefined {
    const key = labelKey(labels);
    let s = f.series.get(key) as ScalarSeries | undefined;
    if (!s) {
      if (!this.#admit(f)) return undefined;
      s = { labels, value: 0 };
      f.series.set(key, s);
    }
    return s;
  }

  /** Whether `f` may take one more series; a refusal is counted by family name. */
  #admit(f: MetricFamily): boolean {
    if (f.series.size < this.maxSeries) return true;
    const d = this.family(
      DROPPED_SERIES,
      "counter",
      "Label sets not exported because their metric reached its series cap",
    );
    const labels = { metric: f.name };
    const key = labelKey(labels);
    const s = d.series.get(key) as ScalarSeries | undefined;
    if (s) s.value++;
    else d.series.set(key, { labels, value: 1 });
    return false;
  }
}
