/**
 * The Prometheus text exposition format (version 0.0.4) and OpenMetrics 1.0 text, written by
 * hand so every byte is ours to check: `# HELP`, `# TYPE`, contiguous families, cumulative
 * `le` buckets ending with `+Inf` equal to `_count`, escaped label values, `\n` after every
 * line (and `# EOF` in OpenMetrics).
 * @module
 */
import type {
  HistogramSeries,
  Labels,
  MetricFamily,
  MetricRegistry,
  ScalarSeries,
} from "./registry.ts";

/** Which text format a scrape gets. */
export type ExpositionFormat = "prometheus" | "openmetrics";

/** The `Content-Type` of each format. */
export const CONTENT_TYPES: Record<ExpositionFormat, string> = {
  prometheus: "text/plain; version=0.0.4; charset=utf-8",
  openmetrics: "application/openmetrics-text; version=1.0.0; charset=utf-8",
};

/** OpenMetrics when the scraper's `Accept` header asks for it (Prometheus does), else 0.0.4. */
export function negotiateFormat(accept: string | null | undefined): ExpositionFormat {
  return accept && /application\/openmetrics-text/i.test(accept) ? "openmetrics" : "prometheus";
}

/** A metric or label name made valid: other characters become `_`, a leading digit gets `_`. */
export function sanitizeName(name: string, label = false): string {
  let n = name.replace(label ? /[^a-zA-Z0-9_]/g : /[^a-zA-Z0-9_:]/g, "_");
  if (!n || /^[0-9]/.test(n)) n = "_" + n;
  // `__` starts the names Prometheus reserves for itself.
  if (label && n.startsWith("__")) n = "x" + n;
  return n;
}

function escapeLabel(v: string): string {
  return v.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');
}

function escapeHelp(v: string, format: ExpositionFormat): string {
  const s = v.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");
  return format === "openmetrics" ? s.replace(/"/g, '\\"') : s;
}

/** A sample value as Go's parser reads it: `NaN`, `+Inf`, `-Inf` or a decimal number. */
export function formatValue(v: number): string {
  if (Number.isNaN(v)) return "NaN";
  if (v === Infinity) return "+Inf";
  if (v === -Infinity) return "-Inf";
  return String(v);
}

/** A bucket bound: integers as integers (`le="1023"`, as the table prints the slot's end). */
function formatBound(v: number, format: ExpositionFormat): string {
  const s = formatValue(v);
  // OpenMetrics writes floats canonically: `1.0`, not `1`.
  return format === "openmetrics" && /^-?\d+$/.test(s) ? s + ".0" : s;
}

function labelText(labels: Labels, extra?: [string, string]): string {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(labels)) parts.push(`${k}="${escapeLabel(v)}"`);
  if (extra) parts.push(`${extra[0]}="${escapeLabel(extra[1])}"`);
  return parts.length ? `{${parts.join(",")}}` : "";
}

/** A family gathered from several registries, each series with its registry's labels. */
interface MergedFamily {
  family: MetricFamily;
  series: (ScalarSeries | HistogramSeries)[];
}

function merge(registries: Iterable<MetricRegistry>): MergedFamily[] {
  const byName = new Map<string, MergedFamily>();
  for (const r of registries) {
    const constant = Object.keys(r.constLabels).length > 0;
    for (const f of r.families.values()) {
      let m = byName.get(f.name);
      if (!m) byName.set(f.name, m = { family: f, series: [] });
      else if (m.family.type !== f.type) continue; // same name, other type: the first one wins
      for (const s of f.series.values()) {
        m.series.push(constant ? { ...s, labels: { ...r.constLabels, ...s.labels } } : s);
      }
    }
  }
  return [...byName.values()];
}

/**
 * Renders every family of `registries` (one run, or all tasks of a server) in `format`.
 * Families with the same name are merged into one (their series told apart by each
 * registry's `constLabels`), so samples of a family stay contiguous.
 */
export function renderMetrics(
  registries: Iterable<MetricRegistry>,
  format: ExpositionFormat = "prometheus",
): string {
  let out = "";
  for (const { family: f, series } of merge(registries)) {
    const base = f.type === "counter" ? f.name.replace(/_total$/, "") : f.name;
    const typeName = f.type === "counter" && format === "prometheus" ? `${base}_total` : base;
    if (f.help) out += `# HELP ${typeName} ${escapeHelp(f.help, format)}\n`;
    out += `# TYPE ${typeName} ${f.type}\n`;
    for (const s of series) {
      if (f.type === "histogram") {
        const h = s as HistogramSeries;
        const bounds = f.bounds ?? [];
        let cumulative = 0;
        for (let i = 0; i < bounds.length; i++) {
          cumulative += h.counts[i];
          out += `${base}_bucket${labelText(h.labels, ["le", formatBound(bounds[i], format)])} ${
            formatValue(cumulative)
          }\n`;
        }
        const count = cumulative + h.overflow;
        out += `${base}_bucket${labelText(h.labels, ["le", "+Inf"])} ${formatValue(count)}\n`;
        out += `${base}_sum${labelText(h.labels)} ${formatValue(h.sum)}\n`;
        out += `${base}_count${labelText(h.labels)} ${formatValue(count)}\n`;
      } else {
        const name = f.type === "counter" ? `${base}_total` : base;
        out += `${name}${labelText(s.labels)} ${formatValue((s as ScalarSeries).value)}\n`;
      }
    }
  }
  if (format === "openmetrics") out += "# EOF\n";
  return out;
}
