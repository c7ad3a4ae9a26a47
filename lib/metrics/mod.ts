/**
 * Metrics from a running package: sampled histogram maps as Prometheus histograms, integer
 * maps as gauges/counters, event counts and run-time counters, served on `/metrics`
 * (Prometheus text or OpenMetrics) and pushed as OTLP/HTTP JSON. A `MetricRegistry` holds one
 * run's metrics; `renderMetrics`/`scrape` render any set of registries (one per server task).
 * @module
 */
export * from "./errors.ts";
export * from "./registry.ts";
export * from "./exposition.ts";
export * from "./config.ts";
export * from "./map_metrics.ts";
export * from "./consumer.ts";
export * from "./endpoint.ts";
export * from "./otlp.ts";
export * from "./run_metrics.ts";
