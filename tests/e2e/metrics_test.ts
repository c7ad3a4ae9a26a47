/**
 * `ecli run --metrics` / `--otlp` end to end: Debian's Prometheus scrapes the endpoint and its
 * query API must agree with the table ecli prints (histogram buckets, histogram_quantile),
 * event counters must equal the events printed, a map keyed past the series cap stays at the
 * cap, and an OTLP/HTTP receiver in this process decodes the pushed payload.
 */
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { jsonLines, runCli, startRun, waitFor } from "../support/cli.ts";
import {
  buildHostTool,
  GETPID_GENERATOR,
  hostKernelTest,
  startGenerator,
  trigger,
  uniqueCopy,
} from "../support/kernel.ts";
import { exampleCache, seqmapPackage } from "../support/build.ts";
import { freePort, type PromSample, startPrometheus } from "../support/prometheus.ts";

const work = mkdtempSync(join(tmpdir(), "ecli-metrics-e2e-"));

const example = exampleCache(work);

/** The rows `[high, count]` of the last histogram printed for `key = <pid>` in `text`. */
function lastHistogram(text: string, pid: number): [number, number][] {
  const blocks = text.split(/^key = /m).filter((b) => b.startsWith(` ${pid}\n`));
  const last = blocks.at(-1) ?? "";
  return [...last.matchAll(/^ *\d+ -> (\d+) *: (\d+) /gm)].map((m) => [Number(m[1]), Number(m[2])]);
}

/** Prometheus' histogram_quantile on cumulative buckets `[le, count]` (2.x algorithm). */
function quantile(q: number, buckets: [number, number][]): number {
  const total = buckets.at(-1)![1];
  let rank = q * total;
  const b = buckets.findIndex(([, c]) => c >= rank);
  if (b === buckets.length - 1) return buckets[b - 1][0]; // the +Inf bucket
  const start = b === 0 ? 0 : buckets[b - 1][0];
  let count = buckets[b][1];
  if (b > 0) {
    count -= buckets[b - 1][1];
    rank -= buckets[b - 1][1];
  }
  return start + (buckets[b][0] - start) * (rank / count);
}

const value = (r: PromSample[]) => r.length === 1 ? Number(r[0].value) : NaN;

hostKernelTest(
  "--metrics: Prometheus' buckets and histogram_quantile match the table",
  async () => {
    const pkg = await example("readsize");
    const port = freePort();
    const prom = await startPrometheus([`127.0.0.1:${port}`]);
    const dd = uniqueCopy("/bin/dd", "mhist");
    const run = startRun([pkg, "--metrics", `127.0.0.1:${port}`, "--target_comm", dd.comm]);
    try {
      await run.attached;
      const { pid } = await trigger(dd.path, [
        "if=/dev/zero",
        "of=/dev/null",
        "bs=4096",
        "count=50",
      ]);
      // A round printed after dd exited holds its final counts (the map is never cleared).
      const seen = run.stdout().length;
      await waitFor(run, (o) => o.slice(seen).includes(`key =  ${pid}\n`), 10_000);
      const rows = lastHistogram(run.stdout(), pid);
      assert.ok(rows.some(([high, n]) => high === 8191 && n === 50), run.stdout());
      let cumulative = 0;
      const table = rows.map(([high, n]): [number, number] => [high, cumulative += n]);
      const sel = `readsize_hists_bytes_bucket{comm="${dd.comm}"}`;
      const count = await prom.waitFor(
        `readsize_hists_bytes_count{comm="${dd.comm}"}`,
        (r) => value(r) === cumulative,
      );
      assert.equal(value(count), cumulative, "Prometheus scraped the final counts");
      // Prometheus scrapes OpenMetrics, where bounds are floats (`le="1023.0"`): compare numbers.
      const buckets = new Map(
        (await prom.query(sel)).map((
          s,
        ) => [parseFloat(s.metric.le.replace("+Inf", "Infinity")), Number(s.value)]),
      );
      for (const [high, c] of table) assert.equal(buckets.get(high), c, `le=${high}`);
      assert.equal(buckets.get(Infinity), cumulative);
      assert.equal(buckets.size, 33, "32 slots + +Inf");
      const [series] = await prom.query(`readsize_hists_bytes_count{comm="${dd.comm}"}`);
      assert.equal(series.metric.key, String(pid), "the map key is a label");
      // The quantile from the table's rows alone (its slot ends as bounds) is what Prometheus says.
      const fromTable: [number, number][] = [...table, [Infinity, cumulative]];
      for (const q of [0.5, 0.9, 0.99]) {
        const got = value(await prom.query(`histogram_quantile(${q}, ${sel})`));
        const want = quantile(q, fromTable);
        assert.ok(Math.abs(got - want) < 1e-6, `q=${q}: Prometheus ${got}, table ${want}`);
      }
      assert.ok(quantile(0.5, fromTable) > 4095, "the median is in the 4096 -> 8191 row");
      // The 0.0.4 text a plain curl gets passes Prometheus' own linter.
      const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      assert.match(
        text,
        new RegExp(
          `^readsize_hists_bytes_bucket\\{key="${pid}",comm="${dd.comm}",le="8191"\\} ${
            table.find(([h]) => h === 8191)![1]
          }$`,
          "m",
        ),
      );
      const lint = new Deno.Command("promtool", {
        args: ["check", "metrics"],
        stdin: "piped",
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      const w = lint.stdin.getWriter();
      await w.write(new TextEncoder().encode(text));
      await w.close();
      const out = await lint.output();
      const dec = new TextDecoder();
      assert.deepEqual([out.code, dec.decode(out.stdout) + dec.decode(out.stderr)], [0, ""]);
    } finally {
      const r = await run.stop();
      await prom.stop();
      assert.equal(r.code, 0, r.stderr);
    }
  },
);

hostKernelTest(
  "--metrics-max-series: a map with 300 keys stays at 100 series, overflow counted",
  async () => {
    const pkg = await seqmapPackage(join(work, "seqmap"));
    const gen = startGenerator(buildHostTool("getpid_gen", GETPID_GENERATOR));
    const port = freePort();
    const prom = await startPrometheus([`127.0.0.1:${port}`]);
    const run = startRun([
      pkg,
      "--metrics",
      `127.0.0.1:${port}`,
      "--metrics-max-series",
      "100",
      "--target_pid",
      String(gen.pid),
    ]);
    try {
      await run.attached;
      await gen.round(300);
      // The table shows all 300 keys; the metric keeps 100 of them.
      await waitFor(run, (o) => (o.match(/^\d+ +1$/gm) ?? []).length >= 300, 10_000);
      const dropped = `ecli_metrics_series_dropped_total{metric="seqmap_calls"}`;
      const r = await prom.waitFor(dropped, (s) => value(s) >= 200);
      assert.ok(value(r) >= 200, JSON.stringify(r));
      assert.equal(value(await prom.query("count(seqmap_calls_total)")), 100);
      assert.equal(value(await prom.query("sum(seqmap_calls_total)")), 100);
      const help = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      assert.match(help, /^# HELP seqmap_calls_total Calls per sequence number$/m);
      assert.match(help, /^# TYPE seqmap_calls_total counter$/m);
    } finally {
      const r = await run.stop();
      await gen.close();
      await prom.stop();
      assert.equal(r.code, 0, r.stderr);
    }
  },
);

interface OtlpRequest {
  path: string;
  contentType: string;
  body: {
    resourceMetrics: {
      scopeMetrics: {
        metrics: {
          name: string;
          sum?: { dataPoints: OtlpPoint[] };
          gauge?: { dataPoints: OtlpPoint[] };
        }[];
      }[];
    }[];
  };
}
interface OtlpPoint {
  attributes: { key: string; value: { stringValue: string } }[];
  asDouble: number;
}

/** A small OTLP/HTTP receiver on 127.0.0.1: records every request it gets. */
async function otlpReceiver() {
  const got: OtlpRequest[] = [];
  const server = createServer((req, res) => {
    let text = "";
    req.on("data", (c) => text += c);
    req.on("end", () => {
      got.push({
        path: req.url ?? "",
        contentType: req.headers["content-type"] ?? "",
        body: JSON.parse(text),
      });
      res.writeHead(200, { "content-type": "application/json" });
      res.end("{}");
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as { port: number }).port;
  return { got, port, close: () => new Promise<void>((r) => server.close(() => r())) };
}

function points(req: OtlpRequest, name: string): OtlpPoint[] {
  const m = req.body.resourceMetrics[0].scopeMetrics[0].metrics.find((x) => x.name === name);
  return m?.sum?.dataPoints ?? m?.gauge?.dataPoints ?? [];
}

const attr = (p: OtlpPoint, key: string) =>
  p.attributes.find((a) => a.key === key)?.value.stringValue;

hostKernelTest(
  "ecli_events_total and per-field event counters match the events printed (Prometheus, OTLP)",
  async () => {
    const pkg = await example("procsnoop");
    const port = freePort();
    const prom = await startPrometheus([`127.0.0.1:${port}`]);
    const otlp = await otlpReceiver();
    const config = join(work, "procsnoop-metrics.yaml");
    writeFileSync(
      config,
      "events:\n  rb:\n    name: procsnoop_execs\n    labels: [comm, exit_event]\n",
    );
    const marker = uniqueCopy("/bin/true", "mev");
    const run = startRun([
      pkg,
      "--json",
      "--metrics",
      `127.0.0.1:${port}`,
      "--metrics-config",
      config,
      "--otlp",
      `http://127.0.0.1:${otlp.port}`,
      "--otlp-interval",
      "0.5",
    ]);
    let stopped = false;
    try {
      await run.attached;
      for (let i = 0; i < 5; i++) await trigger(marker.path);
      const mine = () => jsonLines(run.stdout()).filter((e) => e.comm === marker.comm);
      await waitFor(run, () => mine().length === 10, 10_000);
      assert.equal(mine().length, 10, "5 execs and 5 exits printed");
      const sel = `procsnoop_execs_total{comm="${marker.comm}"}`;
      const r = await prom.waitFor(`sum(${sel})`, (s) => value(s) === 10);
      assert.equal(value(r), 10);
      assert.equal(value(await prom.query(`${sel.slice(0, -1)},exit_event="true"}`)), 5);
      assert.ok(value(await prom.query(`ecli_events_total{map="rb"}`)) >= 10);
      const res = await run.stop();
      stopped = true;
      assert.equal(res.code, 0, res.stderr);
      // The last push happens at exit, after the last event: it must equal what was printed.
      const last = otlp.got.at(-1)!;
      assert.ok(otlp.got.length >= 2, `pushes: ${otlp.got.length}`);
      assert.equal(last.path, "/v1/metrics");
      assert.equal(last.contentType, "application/json");
      const events = points(last, "ecli_events");
      assert.deepEqual(events.map((p) => [attr(p, "map"), p.asDouble]), [
        ["rb", jsonLines(res.stdout).length],
      ]);
      const execs = points(last, "procsnoop_execs").filter((p) => attr(p, "comm") === marker.comm);
      assert.deepEqual(execs.map((p) => [attr(p, "exit_event"), p.asDouble]).sort(), [
        ["false", 5],
        ["true", 5],
      ]);
      assert.deepEqual(points(last, "ecli_programs_attached").map((p) => p.asDouble), [2]);
    } finally {
      if (!stopped) await run.stop();
      await otlp.close();
      await prom.stop();
    }
  },
);

hostKernelTest(
  "--metrics bad input: busy port, bad address, unknown map or field: one line, exit 1",
  async () => {
    const pkg = await example("readsize");
    const busy = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const port = (busy.addr as Deno.NetAddr).port;
    const cases: [string[], string][] = [
      [
        ["--metrics", `127.0.0.1:${port}`],
        `ecli: error: --metrics 127.0.0.1:${port}: cannot listen: address already in use\n`,
      ],
      [
        ["--metrics", "localhost"],
        "ecli: error: --metrics 'localhost': expected HOST:PORT, e.g. 127.0.0.1:9464\n",
      ],
      [
        ["--metrics", "127.0.0.1:70000"],
        "ecli: error: --metrics '127.0.0.1:70000': port must be 0-65535\n",
      ],
      [
        ["--otlp", "127.0.0.1:4318"],
        "ecli: error: --otlp '127.0.0.1:4318': not a URL (e.g. http://127.0.0.1:4318)\n",
      ],
    ];
    const cfg = (name: string, text: string) => {
      const p = join(work, name);
      writeFileSync(p, text);
      return p;
    };
    cases.push(
      [
        [
          "--metrics",
          "127.0.0.1:0",
          "--metrics-config",
          cfg("m1.yaml", "maps: {nosuch: {name: x}}\n"),
        ],
        "ecli: error: metrics config: no map 'nosuch' (sampled maps: hists)\n",
      ],
      [
        [
          "--metrics",
          "127.0.0.1:0",
          "--metrics-config",
          cfg("m2.yaml", "maps: {hists: {labels: [pid]}}\n"),
        ],
        "ecli: error: metrics config: map 'hists' has no field 'pid' (fields: key, comm)\n",
      ],
      [
        [
          "--metrics",
          "127.0.0.1:0",
          "--metrics-config",
          cfg("m3.yaml", "maps: {hists: {colour: red}}\n"),
        ],
        `ecli: error: ${join(work, "m3.yaml")}: maps.hists: Unrecognized key: "colour"\n`,
      ],
    );
    try {
      for (const [args, stderr] of cases) {
        const r = await runCli(["run", pkg, ...args]);
        assert.deepEqual([r.code, r.stderr], [1, stderr], args.join(" "));
      }
    } finally {
      busy.close();
    }
  },
);
