/**
 * Standalone tools: `ecli bundle` time, the tool's size over the bare executable, and cold start
 * until attached of the tool against `dist/ecli run` of the same package and handler (median of
 * N, interleaved in one run). Ready = the ` attached, printing ` line on stderr.
 *
 *   deno run -A bench/standalone.ts [runs]
 * @module
 */
import { mkdtempSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ensureBinary } from "../tools/build.ts";
import { median, timeToAttached as toAttached } from "./attach_time.ts";

const ROOT = new URL("../", import.meta.url).pathname.replace(/\/$/, "");
const runs = Number(Deno.args[0] ?? 5);
const out = mkdtempSync(join(tmpdir(), "standalone-bench-"));

async function check(cmd: string, args: string[]): Promise<number> {
  const t0 = performance.now();
  const r = await new Deno.Command(cmd, { args, stdout: "null", stderr: "piped" }).output();
  if (!r.success) {
    throw new Error(`${cmd} ${args.join(" ")}: ${new TextDecoder().decode(r.stderr)}`);
  }
  return performance.now() - t0;
}

const ecli = ensureBinary();
const pkgDir = join(out, "pkg");
await check(ecli, [
  "compile",
  `${ROOT}/examples/opensnoop/opensnoop.bpf.c`,
  `${ROOT}/examples/opensnoop/opensnoop.h`,
  "-o",
  pkgDir,
]);
const pkg = join(pkgDir, "package.json");
const handler = `${ROOT}/examples/opensnoop/top_files.ts`;
const tool = join(out, "opensnoop");
const bundleArgs = ["bundle", pkg, "--handler", handler, "-o", tool];

await check(ecli, bundleArgs); // warm-up: page cache for the 114 MB copy
const bundle: number[] = [];
for (let i = 0; i < runs; i++) bundle.push(await check(ecli, bundleArgs));
const exe = statSync(ecli).size;
const size = statSync(tool).size;

const rows: [string, string, string[]][] = [
  ["dist/ecli run --handler", ecli, ["run", pkg, "--handler", handler]],
  ["standalone tool", tool, []],
];
for (const [, cmd, args] of rows) await toAttached(cmd, args);
const samples: number[][] = rows.map(() => []);
for (let i = 0; i < runs; i++) {
  for (const [j, [, cmd, args]] of rows.entries()) samples[j].push(await toAttached(cmd, args));
}

console.log(`standalone tool of examples/opensnoop + top_files.ts (median of ${runs}, same run)`);
console.log(`  ecli bundle             ${median(bundle).toFixed(0).padStart(5)} ms`);
console.log(
  `  size                    ${(size / 1e6).toFixed(1)} MB = executable ${
    (exe / 1e6).toFixed(1)
  } MB + ${((size - exe) / 1e3).toFixed(1)} kB`,
);
const base = median(samples[0]);
for (const [j, [label]] of rows.entries()) {
  const m = median(samples[j]);
  console.log(
    `  ${label.padEnd(24)}${m.toFixed(0).padStart(5)} ms to attached (${(m / base).toFixed(2)}x)`,
  );
}
