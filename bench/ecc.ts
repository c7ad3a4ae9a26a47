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
const ecc = [
  "run",
  "-A",
  `${ROOT}/cli.ts`,
  "compile",
  `${ex}/procsnoop.bpf.c`,
  `${ex}/procsnoop.h`,
  "-o",
  out,
];

// Warm-up: page cache, vmlinux.h cache, include probe cache.
await time(bare[0], bare.slice(1));
await time("deno", ecc);
const clangMs: number[] = [];
const eccMs: number[] = [];
for (let i = 0; i < runs; i++) {
  clangMs.push(await time(bare[0], bare.slice(1)));
  eccMs.push(await time("deno", ecc));
}
const c = median(clangMs);
const e = median(eccMs);
console.log(`ecc compile of examples/procsnoop (median of ${runs})`);
console.log(`  bare clang: ${c.toFixed(0)} ms`);
console.log(`  ecc:        ${e.toFixed(0)} ms`);
console.log(`  overhead:   ${(e - c).toFixed(0)} ms (${((e / c - 1) * 100).toFixed(1)}%)`);
