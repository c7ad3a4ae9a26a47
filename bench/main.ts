/**
 * `deno task bench`: every benchmark, each against its reference measured in the same run.
 * @module
 */
await import("./ecc.ts");
const { runEventsBench } = await import("./events.ts");
await runEventsBench();
await import("./standalone.ts");
await import("./trace.ts");
