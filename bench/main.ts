/**
 * `deno task bench`: every benchmark, each against its reference measured in the same run.
 * @module
 */
await import("./ecc.ts");
const { runEventsBench } = await import("./events.ts");
await runEventsBench();
await import("./standalone.ts");
await import("./script.ts");
const { runMetricsBench } = await import("./metrics.ts");
await runMetricsBench();
await import("./oci.ts");
await import("./symbolize.ts");
const { runWasmBench } = await import("./wasm.ts");
await runWasmBench();
const { runServerBench } = await import("./server.ts");
await runServerBench();
await import("./trace.ts");
