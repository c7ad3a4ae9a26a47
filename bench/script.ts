/**
 * One-file scripts: time until attached (events flow from then on) for a script run cold (an
 * empty build cache: ecc and clang run), cached, and for the same program's package run
 * directly, all with dist/ecli, interleaved, median of N in one run.
 *
 *   deno run -A bench/script.ts [runs]
 * @module
 */
import { copyFileSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ensureBinary } from "../tools/build.ts";
import { median, timeToAttached } from "./attach_time.ts";

const ROOT = new URL("../", import.meta.url).pathname.replace(/\/$/, "");
const runs = Number(Deno.args[0] ?? 5);
const ecli = ensureBinary();
const dir = mkdtempSync(join(tmpdir(), "script-bench-"));
const script = join(dir, "killopen.ts");
copyFileSync(`${ROOT}/examples/scripts/killopen.ts`, script);
const cached = join(dir, "cache");
const env = (cache: string) => ({ ...Deno.env.toObject(), ECLI_CACHE_DIR: cache });
const build = new Deno.Command(ecli, { args: ["build", script], env: env(cached) }).outputSync();
if (!build.success) throw new Error(new TextDecoder().decode(build.stderr));
const pkg = join(dir, "killopen.package.json");

let fresh = 0;
const rows: [string, () => Promise<number>][] = [
  ["package (ecli run)", () => timeToAttached(ecli, ["run", pkg], env(cached))],
  ["script, cached", () => timeToAttached(ecli, [script], env(cached))],
  ["script, cold (clang)", () => timeToAttached(ecli, [script], env(join(dir, `c${fresh++}`)))],
];
for (const [, f] of rows) await f();
const samples: number[][] = rows.map(() => []);
for (let i = 0; i < runs; i++) for (const [j, [, f]] of rows.entries()) samples[j].push(await f());
console.log(
  `one-file script examples/scripts/killopen.ts, time until attached (median of ${runs})`,
);
const base = median(samples[0]);
for (const [j, [label]] of rows.entries()) {
  const m = median(samples[j]);
  console.log(`  ${label.padEnd(22)}${m.toFixed(0).padStart(6)} ms (${(m / base).toFixed(2)}x)`);
}
