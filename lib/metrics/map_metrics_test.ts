import assert from "node:assert/strict";
import { BtfTypes } from "../../tests/support/btf_builder.ts";
import type { Btf } from "../btf/mod.ts";
import { MapSchema } from "../package/schema.ts";
import {
  type MapMetricConfig,
  MetricRegistry,
  MetricsError,
  renderMetrics,
  sampledMapMetrics,
} from "./mod.ts";

/** key {u32 pid; char comm[4]}, value {u64 bytes; u32 calls}, and a linear-hist value. */
function types() {
  const t = new BtfTypes();
  const comm = t.array(t.char, 4);
  const key = t.struct("key", 8, [["pid", t.u32, 0], ["comm", comm, 32]]);
  const value = t.struct("value", 16, [["bytes", t.u64, 0], ["calls", t.u32, 64]]);
  const hist = t.struct("hist", 12, [["slots", t.array(t.u32, 3), 0]]);
  return { btf: t.build(), key, value, hist, u32: t.u32 };
}

function keyBytes(pid: number, comm: string): Uint8Array {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setUint32(0, pid, true);
  b.set(new TextEncoder().encode(comm), 4);
  return b;
}

function valueBytes(...cpus: [bigint, number][]): Uint8Array {
  const b = new Uint8Array(16 * cpus.length);
  const v = new DataView(b.buffer);
  cpus.forEach(([bytes, calls], i) => {
    v.setBigUint64(16 * i, bytes, true);
    v.setUint32(16 * i + 8, calls, true);
  });
  return b;
}

/** The metrics update of map `io` of object `prog` with meta `extra`, writing `registry`. */
function mapper(
  registry: MetricRegistry,
  btf: Btf,
  [keyTypeId, valueTypeId]: [number, number],
  extra: Record<string, unknown>,
  config?: MapMetricConfig,
) {
  return sampledMapMetrics({
    registry,
    btf,
    objectName: "prog",
    map: MapSchema.parse({ name: "io", ident: "io", ...extra }),
    keyTypeId,
    valueTypeId,
    config,
    decodeError: () => assert.fail("no decode error expected"),
  });
}

Deno.test("integer map: one gauge per value field, key fields and strings as labels; per-CPU summed", () => {
  const { btf, key, value } = types();
  const registry = new MetricRegistry();
  const update = mapper(registry, btf, [key, value], {
    sample: { interval: 1000 },
    description: "I/O per process",
  });
  update([[keyBytes(7, "sh"), valueBytes([100n, 2], [50n, 1])]]);
  assert.equal(
    renderMetrics([registry]),
    `# HELP prog_io_bytes I/O per process
# TYPE prog_io_bytes gauge
prog_io_bytes{pid="7",comm="sh"} 150
# HELP prog_io_calls I/O per process
# TYPE prog_io_calls gauge
prog_io_calls{pid="7",comm="sh"} 3
`,
  );
  // Not cleared: each round replaces the series; a key gone from the map is gone here too.
  update([[keyBytes(8, "ls"), valueBytes([1n, 1])]]);
  assert.doesNotMatch(renderMetrics([registry]), /pid="7"/);
});

Deno.test("@metric counter with clear_map: rounds add up; config renames, picks and relabels", () => {
  const { btf, key, value } = types();
  const registry = new MetricRegistry();
  const update = mapper(
    registry,
    btf,
    [key, value],
    { sample: { interval: 1000, clear_map: true }, metric: "counter" },
    { name: "reads", fields: ["calls"], labels: { pid: "process" } },
  );
  update([[keyBytes(7, "sh"), valueBytes([100n, 2])]]);
  update([[keyBytes(7, "sh"), valueBytes([100n, 5])]]);
  assert.match(
    renderMetrics([registry]),
    /^# TYPE reads_calls_total counter\nreads_calls_total\{process="7"\} 7\n$/m,
  );
  assert.throws(
    () =>
      mapper(registry, btf, [key, value], { sample: { interval: 1000 } }, { labels: ["bytes"] }),
    new MetricsError(
      "metrics config: map 'io' has no label field 'bytes' (label fields: pid, comm)",
    ),
  );
});

Deno.test("linear_hist: le is the slot's value, _sum adds slot values; scalar key is `key`", () => {
  const { btf, hist, u32 } = types();
  const registry = new MetricRegistry();
  const update = mapper(registry, btf, [u32, hist], {
    sample: { interval: 1000, type: "linear_hist", unit: "queue" },
  });
  const v = new Uint8Array(12);
  new DataView(v.buffer).setUint32(0, 3, true);
  new DataView(v.buffer).setUint32(8, 1, true);
  update([[new Uint8Array([9, 0, 0, 0]), v]]);
  assert.equal(
    renderMetrics([registry]).split("\n").slice(2).join("\n"),
    `prog_io_queue_bucket{key="9",le="0"} 3
prog_io_queue_bucket{key="9",le="1"} 3
prog_io_queue_bucket{key="9",le="2"} 4
prog_io_queue_bucket{key="9",le="+Inf"} 4
prog_io_queue_sum{key="9"} 2
prog_io_queue_count{key="9"} 4
`,
  );
});
