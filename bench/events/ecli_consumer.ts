/**
 * The ecli side of the event-path benchmark, one consumer per process (so its peak RSS is its
 * own). `bench/events.ts` starts it; it speaks the same protocol as `consumer.c`:
 *
 *   deno run -A bench/events/ecli_consumer.ts MODE PACKAGE PID N [RING_BYTES]
 *
 * MODE:
 * - `drain-decode`: loads the package (target_pid = PID, `rb` resized to RING_BYTES), maps the
 *   ring with `RingBufferReader`, prints READY, waits for a line on stdin (the generator is
 *   done), then times one `drain()` that decodes every record to a JS object with the
 *   package's generated decoder (`buildDecoder(…).at`, the reader's `{ at }` view form that
 *   `ecli run` uses) into a no-op sink.
 * - `drain-json`: the same, but each record goes through the real `--json` printer
 *   (`makePrinter(…, "json", FdOutput)` on an fd opened on /dev/null), flush included;
 *   `drain-plain` through the plain table printer.
 * - `drain-floor`: the JS floor, `floor.ts`: six fields read with raw DataView calls per
 *   record of the same ring walk, nothing decoded.
 * - `drain-handler`: the `--handler` path with a no-op `event` hook; `drain-object`,
 *   `drain-view`, `drain-batch`: the `event`, `view` and `batch` hooks of `handlers/`, each
 *   reading what the C consumer reads (pid, seq, comm's first byte) into a checksum.
 * - `live-json`: `runPackage(pkg, { format: "json", out: FdOutput(/dev/null), count: N })` —
 *   what `ecli run --json PACKAGE --target_pid PID > /dev/null` does; READY once attached; it
 *   ends after N events, or on SIGINT (sent by the harness when the generator is done).
 * - `live-decode`: the same run loop with a consumer that only decodes each record (no
 *   output): tells the cost of the run loop apart from the JSON printer's.
 *
 * The last line on stdout is JSON: events, seconds, cpu_seconds, lost, max_rss_kb.
 * @module
 */
import { openSync, readFileSync } from "node:fs";
import process from "node:process";
import { createInterface } from "node:readline";
import { readBpfObject } from "../../lib/btf/mod.ts";
import { buildDecoder, type GeneratedDecoder } from "../../lib/decode/mod.ts";
import { RingBufferReader } from "../../lib/export/mod.ts";
import { loadObject } from "../../lib/loader/mod.ts";
import { loadPackage } from "../../lib/package/mod.ts";
import {
  type ConsumerSetup,
  type EventConsumer,
  type ExportPlan,
  FdOutput,
  handlerConsumer,
  makePrinter,
  runPackage,
  selectExports,
} from "../../lib/run/mod.ts";
import { floor } from "./floor.ts";
import { RECORD_BYTES } from "./layout.ts";
import { loadHandler } from "../../lib/handler/mod.ts";

const [mode, pkgPath, pidText, nText, ringText] = process.argv.slice(2);

/** Drain modes through the handler consumer, and their handler modules. */
const HANDLERS: Record<string, string> = {
  "drain-handler": "./handlers/noop.ts",
  "drain-object": "./handlers/object.ts",
  "drain-view": "./handlers/view.ts",
  "drain-batch": "./handlers/batch.ts",
};
const pid = Number(pidText);
const n = Number(nText);

/** Peak resident set size of this process (kB), as the kernel counts it. */
function peakRssKb(): number {
  const m = readFileSync("/proc/self/status", "utf8").match(/^VmHWM:\s+(\d+) kB$/m);
  return m ? Number(m[1]) : -1;
}

function cpuSeconds(since: NodeJS.CpuUsage): number {
  const u = process.cpuUsage(since);
  return (u.user + u.system) / 1e6;
}

/** stdin's lines, one reader for the whole run (a second one could lose buffered input). */
let stdinReader: ReturnType<typeof createInterface> | undefined;
let stdinLines: AsyncIterator<string> | undefined;

/** The next line on stdin ("" at its end). */
async function readLine(): Promise<string> {
  stdinReader ??= createInterface({ input: process.stdin });
  stdinLines ??= stdinReader[Symbol.asyncIterator]();
  const next = await stdinLines.next();
  return next.done ? "" : next.value;
}

function report(r: Record<string, number | string>): void {
  console.log(JSON.stringify({ ...r, max_rss_kb: peakRssKb() }));
}

/** Something that must not be optimised away: the last decoded event. */
export let sink: unknown;

/** A run consumer that decodes every record into `sink` and prints nothing. */
function decodingConsumer({ btf }: ConsumerSetup): EventConsumer {
  const decoders = new Map<ExportPlan, GeneratedDecoder>();
  return {
    begin(plan) {
      if (plan.kind !== "sample") decoders.set(plan, buildDecoder(btf, plan.typeId));
    },
    record(plan, bytes) {
      sink = decoders.get(plan)!(bytes);
    },
    recordAt(plan, view, offset, length) {
      sink = decoders.get(plan)!.at(view, offset, length);
    },
    sample() {},
  };
}

const pkg = await loadPackage(pkgPath);
const devNull = openSync("/dev/null", "w");

if (mode === "live-json" || mode === "live-decode") {
  let cpu0 = process.cpuUsage();
  let t0 = performance.now();
  const summary = await runPackage(pkg, {
    programArgs: ["--target_pid", String(pid)],
    format: "json",
    out: new FdOutput(devNull),
    count: n,
    log: (line) => {
      if (/ attached, /.test(line)) {
        cpu0 = process.cpuUsage();
        t0 = performance.now();
        console.log("READY");
      } else console.error(line);
    },
    // live-decode: the run loop with a consumer that only decodes (what a handler gets).
    consumer: mode === "live-decode" ? decodingConsumer : undefined,
  });
  const seconds = (performance.now() - t0) / 1000;
  report({
    events: summary.events,
    seconds,
    cpu_seconds: cpuSeconds(cpu0),
    lost: n - summary.events,
  });
} else if (mode.startsWith("drain-")) {
  const pidBytes = new Uint8Array(4);
  new DataView(pidBytes.buffer).setUint32(0, pid, true);
  const obj = loadObject(pkg, {
    variables: [{ section: ".rodata", name: "target_pid", bytes: pidBytes }],
    maxEntries: { rb: Number(ringText) },
  });
  try {
    const { btf } = readBpfObject(pkg.object);
    const [plan] = selectExports(pkg.meta, btf, (name) => obj.map(name).type);
    if (plan.kind === "sample") throw new Error("the benchmark package exports a sampled map");
    // The view form of the ring reader, as `ecli run` uses it (no Uint8Array per record).
    let onRecord: (view: DataView, offset: number, length: number) => void;
    let flush = () => {};
    let drained: (() => void) | undefined;
    let allocates = true;
    if (mode === "drain-floor") onRecord = floor;
    else if (mode === "drain-decode") {
      const decode = buildDecoder(btf, plan.typeId).at;
      onRecord = (view, offset, length) => {
        sink = decode(view, offset, length);
      };
    } else if (HANDLERS[mode]) {
      // The --handler path: decode (or a view, or a batch), then the dispatcher calls the user
      // function, which reads the fields the C consumer reads.
      const handler = await loadHandler(new URL(HANDLERS[mode], import.meta.url).pathname);
      const consumer = handlerConsumer(handler, { format: "json", log: (l) => console.error(l) })({
        btf,
        object: obj,
        meta: pkg.meta,
        args: {},
        out: new FdOutput(devNull),
        stop: () => {},
      });
      onRecord = (view, offset, length) => consumer.recordAt!(plan, view, offset, length);
      if (consumer.drained) drained = () => consumer.drained!(plan);
    } else {
      const out = new FdOutput(devNull);
      const printer = makePrinter(plan, btf, mode === "drain-plain" ? "plain" : "json", out);
      onRecord = printer.recordAt!;
      allocates = printer.allocates ?? true;
      flush = () => out.flush();
    }
    const reader = new RingBufferReader(obj.map(plan.map.name), {
      at: onRecord,
      flush: drained,
      allocates,
    });
    console.log("READY");
    // "warm": the records waiting now are a warm-up, drained untimed (the JIT compiles the
    // consumer on them, as on the first events of any run); then the line for the timed drain.
    let line = await readLine();
    while (line === "warm") {
      reader.drain();
      flush();
      console.log("WARM");
      line = await readLine();
    }
    stdinReader?.close(); // stdin must not keep the process alive
    const waiting = reader.pending;
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const events = reader.drain();
    flush();
    const seconds = (performance.now() - t0) / 1000;
    const cpu = cpuSeconds(cpu0);
    await reader.close();
    // A full ring or a missed call shows as fewer bytes waiting than N records take.
    report({ events, seconds, cpu_seconds: cpu, lost: n - waiting / RECORD_BYTES });
  } finally {
    obj.close();
  }
} else {
  console.error(
    `usage: ecli_consumer.ts drain-floor|drain-decode|drain-json|drain-plain|drain-handler|drain-object|drain-view|drain-batch|live-json|live-decode PACKAGE PID N [RING]`,
  );
  process.exit(2);
}
