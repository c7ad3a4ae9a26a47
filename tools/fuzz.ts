/**
 * `deno task fuzz [--runs N] [--seed S] [--only READER[,READER]] [--chunk N] [--path P]
 * [--time-limit MS] [--hang S] [--no-shrink]`: property-based fuzzing (fast-check) of every
 * reader of untrusted bytes in `tests/fuzz/readers.ts`. Each reader runs in a worker; one that
 * reports no progress for `--hang` seconds is stopped and counted as a hang. Prints one line
 * per reader and every failure with the seed and path that replay it; exits 1 on any failure.
 * @module
 */
import { parseArgs } from "node:util";
import type { FuzzJob, FuzzReport } from "../tests/fuzz/property.ts";
import { READERS } from "../tests/fuzz/readers.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    runs: { type: "string", default: "2000" },
    seed: { type: "string", default: String(Date.now() % 2 ** 31) },
    only: { type: "string" },
    chunk: { type: "string", default: "10000" },
    path: { type: "string" },
    "time-limit": { type: "string", default: "2000" },
    hang: { type: "string", default: "60" },
    "no-shrink": { type: "boolean", default: false },
  },
});

const only = values.only?.split(",");
const unknown = only?.filter((n) => !READERS.some((r) => r.name === n)) ?? [];
if (unknown.length) {
  console.error(
    `fuzz: error: unknown reader ${unknown.join(", ")} (readers: ${
      READERS.map((r) => r.name).join(", ")
    })`,
  );
  Deno.exit(1);
}
const readers = READERS.filter((r) => !only || only.includes(r.name));
const runs = Number(values.runs);
const seed = Number(values.seed);
console.log(`fuzz: ${readers.length} readers, ${runs} inputs each, seed ${seed}`);

function campaign(name: string): Promise<FuzzReport | string> {
  const job: FuzzJob = {
    reader: name,
    runs,
    seed,
    chunk: Number(values.chunk),
    path: values.path,
    timeLimitMs: Number(values["time-limit"]),
    noShrink: values["no-shrink"],
  };
  const worker = new Worker(new URL("../tests/fuzz/worker.ts", import.meta.url), {
    type: "module",
  });
  const hangMs = Number(values.hang) * 1000;
  return new Promise((resolve) => {
    let progress = 0;
    let watchdog: ReturnType<typeof setTimeout> | undefined;
    const arm = () => {
      clearTimeout(watchdog);
      watchdog = setTimeout(() => {
        worker.terminate();
        resolve(`hang: no progress for ${values.hang} s after ${progress} inputs (seed ${seed})`);
      }, hangMs);
    };
    arm();
    worker.onmessage = (e: MessageEvent<{ progress?: number; report?: FuzzReport }>) => {
      arm();
      if (e.data.progress !== undefined) progress = e.data.progress;
      if (e.data.report) {
        clearTimeout(watchdog);
        worker.terminate();
        resolve(e.data.report);
      }
    };
    worker.onerror = (e) => {
      e.preventDefault();
      clearTimeout(watchdog);
      worker.terminate();
      resolve(`worker died: ${e.message}`);
    };
    worker.postMessage(job);
  });
}

let failed = 0;
let total = 0;
for (const reader of readers) {
  const t0 = performance.now();
  const r = await campaign(reader.name);
  const s = ((performance.now() - t0) / 1000).toFixed(1);
  if (typeof r === "string") {
    failed++;
    console.log(`FAIL ${reader.name}: ${r}`);
    continue;
  }
  total += r.inputs;
  const errors = Object.entries(r.errors).map(([k, v]) => `${k} ${v}`).join(", ") || "none";
  const status = r.failures.length ? "FAIL" : "ok";
  console.log(
    `${status} ${reader.name}: ${r.inputs} inputs, ${r.accepted} accepted, errors: ${errors}; ` +
      `slowest ${r.slowestMs.toFixed(1)} ms, peak RSS ${Math.round(r.peakRssMb)} MB, ${s} s`,
  );
  for (const f of r.failures) {
    failed++;
    console.log(`  ${f.problem}`);
    console.log(`    input: ${f.input}`);
    console.log(
      `    replay: deno task fuzz --only ${reader.name} --seed ${f.seed} --runs ${values.chunk} --path ${f.path}`,
    );
  }
}
console.log(`fuzz: ${total} inputs, ${failed} failures`);
Deno.exit(failed ? 1 : 0);
