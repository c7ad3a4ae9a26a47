/**
 * Runs one reader's fuzz campaign in its own process (`deno run -A campaign.ts JOB_JSON`), so
 * the driver can SIGKILL a reader that hangs or balloons. Before each input it writes
 * `@ SEED INDEX` to stdout (the driver keeps the last one: it names the input that hung);
 * at the end one line `report JSON`.
 * @module
 */
import fc from "fast-check";
import { READERS } from "./readers.ts";
import { loadSeeds } from "./seeds.ts";
import { checkOutcome, emptyReport, type FuzzJob } from "./property.ts";

/** The failing input, abbreviated (deeply nested ones do not stringify). */
function preview(input: unknown): string {
  try {
    return fc.stringify(input).slice(0, 400);
  } catch {
    return `${typeof input} (too deep to print)`;
  }
}

const enc = new TextEncoder();
const say = (line: string) => {
  const b = enc.encode(line + "\n");
  for (let off = 0; off < b.length;) off += Deno.stdout.writeSync(b.subarray(off));
};

const job = JSON.parse(Deno.args[0]) as FuzzJob;
const reader = READERS.find((r) => r.name === job.reader)!;
const arb = reader.inputs(await loadSeeds());
const report = emptyReport(reader.name);
// Chunks with consecutive seeds: a failure ends its chunk (after shrinking) and the next
// chunk goes on, so one campaign can find several distinct bugs.
for (let chunk = job.firstChunk; chunk * job.chunk < job.runs; chunk++) {
  const runs = Math.min(job.chunk, job.runs - chunk * job.chunk);
  const seed = job.seed + chunk;
  let index = 0;
  const result = await fc.check(
    fc.asyncProperty(arb, async (input) => {
      report.inputs++;
      say(`@ ${seed} ${index++}`);
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
  if (result.failed) {
    report.failures.push({
      seed,
      path: result.counterexamplePath ?? "",
      problem: (result.errorInstance as Error)?.message ?? String(result.errorInstance),
      input: preview(result.counterexample?.[0]),
    });
  }
  if (job.path) break;
}
say(`report ${JSON.stringify(report)}`);
