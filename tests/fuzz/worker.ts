/**
 * Runs one reader's fuzz campaign inside a worker, so the driver can stop a reader that hangs.
 * Messages to the driver: `{ progress }` now and then, then `{ report }`.
 * @module
 */
/// <reference lib="deno.worker" />
import fc from "fast-check";
import { READERS } from "./readers.ts";
import { loadSeeds } from "./seeds.ts";
import { checkOutcome, type FuzzJob, type FuzzReport } from "./property.ts";

/** The failing input, abbreviated (deeply nested ones do not stringify). */
function preview(input: unknown): string {
  try {
    return fc.stringify(input).slice(0, 400);
  } catch {
    return `${typeof input} (too deep to print)`;
  }
}

self.onmessage = async (msg: MessageEvent<FuzzJob>) => {
  const job = msg.data;
  const reader = READERS.find((r) => r.name === job.reader)!;
  const seeds = await loadSeeds();
  const arb = reader.inputs(seeds);
  const report: FuzzReport = {
    reader: reader.name,
    inputs: 0,
    accepted: 0,
    errors: {},
    failures: [],
    slowestMs: 0,
    peakRssMb: 0,
  };
  let last = performance.now();
  // Chunks with consecutive seeds: a failure ends its chunk (after shrinking) and the next
  // chunk goes on, so one campaign can find several distinct bugs.
  for (let done = 0, chunk = 0; done < job.runs; chunk++) {
    const runs = Math.min(job.chunk, job.runs - done);
    const seed = job.seed + chunk;
    const result = await fc.check(
      fc.asyncProperty(arb, async (input) => {
        report.inputs++;
        const now = performance.now();
        if (now - last > 1000) {
          last = now;
          self.postMessage({ progress: report.inputs });
        }
        if (report.inputs % 64 === 0) {
          report.peakRssMb = Math.max(report.peakRssMb, Deno.memoryUsage().rss / 2 ** 20);
        }
        const t0 = performance.now();
        let error: unknown;
        try {
          await reader.read(input);
        } catch (e) {
          error = e;
        }
        const ms = performance.now() - t0;
        report.slowestMs = Math.max(report.slowestMs, ms);
        const problem = checkOutcome(reader, error, ms, job.timeLimitMs);
        if (problem) throw new Error(problem);
        if (error) {
          const name = (error as Error).name;
          report.errors[name] = (report.errors[name] ?? 0) + 1;
        } else report.accepted++;
      }),
      { numRuns: runs, seed, path: job.path, endOnFailure: job.noShrink },
    );
    done += runs;
    if (result.failed) {
      report.failures.push({
        seed,
        path: result.counterexamplePath ?? "",
        problem: (result.errorInstance as Error)?.message ?? String(result.errorInstance),
        input: preview(result.counterexample?.[0]),
      });
      if (job.path) break;
    }
  }
  self.postMessage({ report });
};
