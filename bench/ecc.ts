/**
 * ecc wall time against the bare clang command on the same source (median of 5, same run).
 * The bare command is the clang invocation ecc itself makes, so the difference is ecc's own
 * cost: start-up, vmlinux.h lookup, llvm-strip, ELF/BTF reading, doc comments, packaging.
 *
 *   deno run -A bench/ecc.ts [runs]
 * @module
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { clangArgs, systemIncludeDirs, targetArch, vmlinuxHeader } from "../compile/mod.ts";

const ROOT = new URL("../", import.meta.url).pathname.replace(/\/$/, "");
const runs = Number(Deno.args[0] ?? 5);
const ex = `${ROOT}/examples/procsnoop`;
const out = mkdtempSync(join(tmpdir(), "ecc-bench-"));

async function time(cmd: string, args: string[]): Promise<number> {
  const t0 = performance.now();
  const r = await new Deno.Command(cmd, { args, stdout: "null", stderr: "piped" }).output();
  const ms = performance.now() - t0;
  if (!r.success) throw new Error(`${cmd} failed: ${new TextDecoder().decode(r.stderr)}`);
  return ms;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const arch = targetArch();
const bare = clangArgs({
  clang: "clang",
  arch,
  systemIncludes: systemIncludeDirs("clang"),
  vmlinuxDir: vmlinuxHeader(arch).dir,
  cflags: [],
  sourceDir: ex,
  input: `${ex}/procsnoop.bpf.c`,
  output: `${out}/bare.bpf.o`,
});
const args = ["compile", `${ex}/procsnoop.bpf.c`, `${ex}/procsnoop.h`, "-o", out];
const runners: [string, string, string[]][] = [
  ["ecc (deno run)", "deno", ["run", "-A", `${ROOT}/cli.ts`, ...args]],
  ["ecc (bun)", "bun", [`${ROOT}/cli.ts`, ...args]],
];
// The shipped executable, when built (`deno task compile`).
try {
  Deno.statSync(`${ROOT}/dist/ecli`);
  runners.push(["ecc (dist/ecli)", `${ROOT}/dist/ecli`, args]);
} catch { /* not built: skip the row */ }

// Warm-up: page cache, vmlinux.h cache, include probe cache, module caches.
await time(bare[0], bare.slice(1));
for (const [, cmd, argv] of runners) await time(cmd, argv);
// Interleaved, so that machine noise hits every row alike.
const samples: number[][] = [[], ...runners.map(() => [])];
for (let i = 0; i < runs; i++) {
  samples[0].push(await time(bare[0], bare.slice(1)));
  for (const [j, [, cmd, argv]] of runners.entries()) samples[j + 1].push(await time(cmd, argv));
}
const c = median(samples[0]);
console.log(`ecc compile of examples/procsnoop (median of ${runs}, same run)`);
console.log(`  ${"bare clang".padEnd(16)} ${c.toFixed(0).padStart(5)} ms`);
for (const [j, [label]] of runners.entries()) {
  const e = median(samples[j + 1]);
  const over = `${(e - c).toFixed(0)} ms, ${((e / c - 1) * 100).toFixed(1)}% over clang`;
  console.log(`  ${label.padEnd(16)} ${e.toFixed(0).padStart(5)} ms (${over})`);
}
