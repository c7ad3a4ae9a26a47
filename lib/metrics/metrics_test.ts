import assert from "node:assert/strict";
import {
  MetricRegistry,
  MetricsError,
  otlpMetricsUrl,
  otlpPayload,
  parseListenAddress,
  parseMetricsConfig,
  renderMetrics,
  sanitizeName,
  scrape,
  slotBounds,
} from "./mod.ts";

function sample(): MetricRegistry {
  const r = new MetricRegistry();
  r.inc("ecli_events", { map: "rb" }, 3, "Records delivered");
  r.set("ecli_programs_attached", "gauge", { object: "x" }, 2, "Attached");
  r.observeBuckets("lat_us", "Latency", [1, 3, 7], { comm: 'a"b\\c\nd' }, [1, 0, 4, 2], 30, "set");
  return r;
}

Deno.test("Prometheus text 0.0.4: HELP/TYPE, _total, cumulative buckets, +Inf = _count, escapes", () => {
  assert.equal(
    renderMetrics([sample()]),
    `# HELP ecli_events_total Records delivered
# TYPE ecli_events_total counter
ecli_events_total{map="rb"} 3
# HELP ecli_programs_attached Attached
# TYPE ecli_programs_attached gauge
ecli_programs_attached{object="x"} 2
# HELP lat_us Latency
# TYPE lat_us histogram
lat_us_bucket{comm="a\\"b\\\\c\\nd",le="1"} 1
lat_us_bucket{comm="a\\"b\\\\c\\nd",le="3"} 1
lat_us_bucket{comm="a\\"b\\\\c\\nd",le="7"} 5
lat_us_bucket{comm="a\\"b\\\\c\\nd",le="+Inf"} 7
lat_us_sum{comm="a\\"b\\\\c\\nd"} 30
lat_us_count{comm="a\\"b\\\\c\\nd"} 7
`,
  );
});

Deno.test("OpenMetrics: family names without _total, float bounds, # EOF; chosen by Accept", () => {
  const r = scrape([sample()], "application/openmetrics-text;version=1.0.0,text/plain;q=0.5");
  assert.equal(r.contentType, "application/openmetrics-text; version=1.0.0; charset=utf-8");
  assert.match(r.body, /^# TYPE ecli_events counter\necli_events_total\{map="rb"\} 3$/m);
  assert.match(r.body, /^lat_us_bucket\{comm="[^}]*",le="7\.0"\} 5$/m);
  assert.ok(r.body.endsWith('lat_us_count{comm="a\\"b\\\\c\\nd"} 7\n# EOF\n'));
  assert.equal(scrape([sample()], "*/*").contentType, "text/plain; version=0.0.4; charset=utf-8");
});

Deno.test("several registries render as one exposition: families merged, const labels first", () => {
  const a = new MetricRegistry({ constLabels: { task: "1" } });
  const b = new MetricRegistry({ constLabels: { task: "2" } });
  a.inc("ecli_events", { map: "rb" }, 1);
  b.set("g", "gauge", {}, 5);
  b.inc("ecli_events", { map: "rb" }, 2);
  assert.equal(
    renderMetrics([a, b]),
    `# TYPE ecli_events_total counter
ecli_events_total{task="1",map="rb"} 1
ecli_events_total{task="2",map="rb"} 2
# TYPE g gauge
g{task="2"} 5
`,
  );
});

Deno.test("series cap: label sets past the cap are refused and counted per metric", () => {
  const r = new MetricRegistry({ maxSeries: 3 });
  for (let pid = 0; pid < 10; pid++) r.set("per_pid", "gauge", { pid: String(pid) }, pid);
  assert.equal(r.families.get("per_pid")!.series.size, 3);
  assert.match(
    renderMetrics([r]),
    /^ecli_metrics_series_dropped_total\{metric="per_pid"\} 7$/m,
  );
  // Existing series still update.
  r.set("per_pid", "gauge", { pid: "1" }, 42);
  assert.match(renderMetrics([r]), /^per_pid\{pid="1"\} 42$/m);
  assert.equal(new MetricRegistry().maxSeries, 1000);
});

Deno.test("values: NaN, +Inf, -Inf as Go reads them; names sanitized", () => {
  const r = new MetricRegistry();
  r.set("a", "gauge", { x: "1" }, NaN);
  r.set("a", "gauge", { x: "2" }, Infinity);
  r.set("a", "gauge", { x: "3" }, -Infinity);
  assert.match(renderMetrics([r]), /a\{x="1"\} NaN\na\{x="2"\} \+Inf\na\{x="3"\} -Inf\n/);
  assert.equal(sanitizeName("read.size-bytes"), "read_size_bytes");
  assert.equal(sanitizeName("1x"), "_1x");
  assert.equal(sanitizeName("__name", true), "x__name");
});

Deno.test("slot bounds are the slot ends the table prints", () => {
  assert.deepEqual(slotBounds("log2_hist", 5), [1, 3, 7, 15, 31]);
  assert.deepEqual(slotBounds("linear_hist", 3), [0, 1, 2]);
});

Deno.test("listen addresses and OTLP URLs: good ones parsed, bad ones one clear line", () => {
  assert.deepEqual(parseListenAddress("127.0.0.1:9464"), { host: "127.0.0.1", port: 9464 });
  assert.deepEqual(parseListenAddress("[::1]:0"), { host: "::1", port: 0 });
  assert.deepEqual(parseListenAddress("9464"), { host: "127.0.0.1", port: 9464 });
  assert.throws(
    () => parseListenAddress("localhost"),
    new MetricsError("--metrics 'localhost': expected HOST:PORT, e.g. 127.0.0.1:9464"),
  );
  assert.throws(
    () => parseListenAddress("127.0.0.1:70000"),
    new MetricsError("--metrics '127.0.0.1:70000': port must be 0-65535"),
  );
  assert.equal(otlpMetricsUrl("http://127.0.0.1:4318"), "http://127.0.0.1:4318/v1/metrics");
  assert.equal(otlpMetricsUrl("http://h:1/custom"), "http://h:1/custom");
  assert.throws(() => otlpMetricsUrl("ftp://x"), /OTLP\/HTTP needs http:\/\/ or https:\/\//);
});

Deno.test("metrics config: zod-checked, unknown keys and wrong types named", () => {
  const c = parseMetricsConfig(
    "max_series: 50\nmaps:\n  hists: {name: rd, labels: {comm: command}}\n",
  );
  assert.equal(c.max_series, 50);
  assert.deepEqual(c.maps.hists, { name: "rd", labels: { comm: "command" } });
  assert.throws(
    () => parseMetricsConfig("maps: {h: {colour: red}}", "m.yaml"),
    /^MetricsError: m\.yaml: maps\.h: Unrecognized key: "colour"$/,
  );
  assert.throws(() => parseMetricsConfig("max_series: -1", "m.yaml"), /m\.yaml: max_series: /);
  assert.throws(() => parseMetricsConfig("maps: [", "m.yaml"), /m\.yaml: not valid YAML/);
});

Deno.test("OTLP JSON: sums, gauges and histograms with string 64-bit counts", () => {
  const p = otlpPayload([sample()], 1000, 2000) as {
    resourceMetrics: { scopeMetrics: { metrics: Record<string, unknown>[] }[] }[];
  };
  const metrics = p.resourceMetrics[0].scopeMetrics[0].metrics;
  assert.deepEqual(metrics.map((m) => m.name), ["ecli_events", "ecli_programs_attached", "lat_us"]);
  assert.deepEqual(metrics[0].sum, {
    aggregationTemporality: 2,
    isMonotonic: true,
    dataPoints: [{
      attributes: [{ key: "map", value: { stringValue: "rb" } }],
      startTimeUnixNano: "1000000000",
      timeUnixNano: "2000000000",
      asDouble: 3,
    }],
  });
  const h = (metrics[2].histogram as { dataPoints: Record<string, unknown>[] }).dataPoints[0];
  assert.deepEqual([h.count, h.sum, h.bucketCounts, h.explicitBounds], [
    "7",
    30,
    ["1", "0", "4", "2"],
    [1, 3, 7],
  ]);
});
