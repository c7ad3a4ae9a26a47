/**
 * `deno task fuzz [--runs N] [--seed S] [--only READER[,READER]] [--chunk N] [--path P]
 * [--time-limit MS] [--hang S] [--no-shrink]`: property-based fuzzing (fast-check) of every
 * reader of untrusted bytes in `tests/fuzz/readers.ts`. Each reader runs in its own process;
 * one that finishes no input for `--hang` seconds is killed and counted as a hang. Prints one line
 * per reader and every failure with the seed and path that replay it; exits 1 on any failure.
 * @module
 */
import { parseArgs } from "node:util";
import { emptyReport, type FuzzJob, type FuzzReport } from "../tests/fuzz/property.ts";
import { READERS } from "../tests/fuzz/readers.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    runs: { type: "string", default: "2000" },
    seed: { type: "string", default: String(Date.now() % 2 ** 31) },
    only: { type: "string" },
    chunk: { type: "string", default: "10000" },
    path: { type: "string" },
    "time-limit": { type: "string", default: "5000" },
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

/** Reads a campaign's stdout lines: `@ SEED INDEX` before each input, `report JSON` at the end. */
async function* lines(stream: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  const dec = new TextDecoder();
  let buf = "";
  for await (const chunk of stream) {
    buf += dec.decode(chunk, { stream: true });
    let nl;
    while ((nl = buf.indexOf("\n")) >= 0) {
      yield buf.slice(0, nl);
      buf = buf.slice(nl + 1);
    }
  }
}

/**
 * Runs one reader in a child process; one that reads no new input for `--hang` seconds is
 * killed, reported with the input's seed and path, and the campaign goes on with the next chunk.
 */
async function campaign(name: string): Promise<FuzzReport> {
  const chunk = Number(values.chunk);
  const merged = emptyReport(name);
  let firstChunk = 0;
  while (firstChunk * chunk < runs) {
    const job: FuzzJob = {
      reader: name,
      runs,
      seed,
      firstChunk,
      chunk,
      path: values.path,
      timeLimitMs: Number(values["time-limit"]),
      noShrink: values["no-shrink"],
    };
    const child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        new URL("../tests/fuzz/campaign.ts", import.meta.url).pathname,
        JSON.stringify(job),
      ],
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    let at = [seed + firstChunk, 0];
    let hung = false;
    let watchdog: ReturnType<typeof setTimeout> | undefined;
    const arm = () => {
      clearTimeout(watchdog);
      watchdog = setTimeout(() => {
        hung = true;
        child.kill("SIGKILL");
      }, Number(values.hang) * 1000);
    };
    arm();
    let report: FuzzReport | undefined;
    for await (const line of lines(child.stdout)) {
      if (line.startsWith("@ ")) {
        at = line.slice(2).split(" ").map(Number);
        merged.inputs++;
        arm();
      } else if (line.startsWith("report ")) report = JSON.parse(line.slice(7));
    }
    clearTimeout(watchdog);
    await child.status;
    if (report) {
      merged.accepted += report.accepted;
      for (const [k, v] of Object.entries(report.errors)) {
        merged.errors[k] = (merged.errors[k] ?? 0) + v;
      }
      merged.failures.push(...report.failures);
      merged.slowestMs = Math.max(merged.slowestMs, report.slowestMs);
      merged.peakRssMb = Math.max(merged.peakRssMb, report.peakRssMb);
      break;
    }
    const [s, i] = at;
    merged.failures.push({
      seed: s,
      path: String(i),
      problem: hung
        ? `hang: no input finished for ${values.hang} s`
        : "the campaign process died (out of memory?)",
      input: "(see the replay line)",
    });
    if (values.path) break;
    firstChunk = s - seed + 1;
  }
  return merged;
}

let failed = 0;
let total = 0;
for (const reader of readers) {
  const t0 = performance.now();
  const r = await campaign(reader.name);
  const s = ((performance.now() - t0) / 1000).toFixed(1);
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
