/**
 * `--metrics-config FILE`: optional YAML (or JSON) that renames metrics, relabels or picks
 * key/value fields, and counts events by their fields, in the spirit of upstream's
 * eunomia-exporter config. Validated with zod; names are checked against the package later
 * (`checkMetricsConfig`), so a typo is one error line, not a silent empty metric.
 * @module
 */
import { readFile } from "node:fs/promises";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import { MetricsError } from "./errors.ts";

const Labels = z.union([
  z.array(z.string()),
  z.record(z.string(), z.string()),
]);

/** How one sampled map becomes metrics. */
export const MapMetricConfigSchema = z.strictObject({
  /** Metric name (a histogram's base name; counters get `_total`). */
  name: z.string().min(1).optional(),
  /** `# HELP` text (default: the map's doc comment). */
  help: z.string().optional(),
  /** Integer values: counter or gauge (overrides the map's `@metric`). */
  type: z.enum(["counter", "gauge"]).optional(),
  /** Key/value fields that become labels: a list picks them, a record also renames them. */
  labels: Labels.optional(),
  /** Integer value fields exported (default: all). */
  fields: z.array(z.string()).optional(),
  /** Leave this map out of the metrics. */
  disabled: z.boolean().optional(),
});

/** How the records of one event map are counted. */
export const EventMetricConfigSchema = z.strictObject({
  /** Counter name (default `ecli_events`, labelled by map). */
  name: z.string().min(1).optional(),
  /** `# HELP` text. */
  help: z.string().optional(),
  /** Event fields that become labels of the counter (as upstream's exporter counters). */
  labels: Labels.optional(),
});

/** The whole `--metrics-config` file. */
export const MetricsConfigSchema = z.strictObject({
  /** Series per metric before label sets are refused and counted (default 1000). */
  max_series: z.number().int().positive().optional(),
  /** Sampled maps by map name. */
  maps: z.record(z.string(), MapMetricConfigSchema).default({}),
  /** Event maps (ring/perf buffers) by map name. */
  events: z.record(z.string(), EventMetricConfigSchema).default({}),
});

/** A validated metrics config. */
export type MetricsConfig = z.infer<typeof MetricsConfigSchema>;
/** One map's part of it. */
export type MapMetricConfig = z.infer<typeof MapMetricConfigSchema>;
/** One event map's part of it. */
export type EventMetricConfig = z.infer<typeof EventMetricConfigSchema>;

/** Field name → label name, from either form of `labels`. */
export function labelRenames(labels: string[] | Record<string, string>): Map<string, string> {
  return new Map(Array.isArray(labels) ? labels.map((l) => [l, l]) : Object.entries(labels));
}

/** Parses and validates config text; `MetricsError` names the file and the bad key. */
export function parseMetricsConfig(text: string, file = "metrics config"): MetricsConfig {
  let raw: unknown;
  try {
    raw = parseYaml(text) ?? {};
  } catch (e) {
    throw new MetricsError(`${file}: not valid YAML: ${(e as Error).message.split("\n")[0]}`);
  }
  const r = MetricsConfigSchema.safeParse(raw);
  if (!r.success) {
    const issue = r.error.issues[0];
    const where = issue.path.length ? issue.path.join(".") : "top level";
    throw new MetricsError(`${file}: ${where}: ${issue.message}`);
  }
  return r.data;
}

/** Reads and validates a config file. */
export async function loadMetricsConfig(path: string): Promise<MetricsConfig> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (e) {
    throw new MetricsError(`cannot read metrics config ${path}: ${(e as Error).message}`);
  }
  return parseMetricsConfig(text, path);
}
