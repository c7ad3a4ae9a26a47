/**
 * Builds a wasm-bpf guest from C, the way the README describes it: `ecc -w` compiles the BPF
 * side and writes `<name>.wasm.h`, the object is embedded as `<name>.bpf.inc`, and Debian's
 * clang-14 with wasi-libc links the guest (packages wasi-libc, lld-14,
 * libclang-rt-14-dev-wasm32).
 *
 * ```sh
 * deno run -A examples/wasm/build.ts examples/procsnoop/procsnoop.bpf.c \
 *   examples/procsnoop/procsnoop.h examples/wasm/bootstrap/bootstrap.c -o /tmp/bootstrap.wasm
 * ```
 * @module
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join, resolve } from "node:path";
import process from "node:process";
import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";
import { compile } from "../../compile/mod.ts";
import { objectAsCArray } from "../../lib/wasm/mod.ts";

/** Where `libbpf-wasm.h` (the guest side of the ABI) lives. */
export const GUEST_INCLUDE = join(dirname(fileURLToPath(import.meta.url)), "include");

/** What to build. */
export interface GuestBuild {
  /** The BPF C source. */
  bpfSource: string;
  /** Its event header (for `<name>.wasm.h`). */
  eventHeader: string;
  /** The guest's C source. */
  guestSource: string;
  /** The .wasm to write. */
  output: string;
  /** Extra clang arguments for the guest (`-DX`). */
  cflags?: string[];
  /** The C compiler for wasm32-wasi (default env WASM_CLANG, else clang-14). */
  clang?: string;
}

/**
 * Compiles the BPF side into a fresh directory: `<name>.bpf.o`, `<name>.wasm.h` (ecc -w) and
 * `<name>.bpf.inc` (the object as a C array). Returns the directory.
 */
export async function prepareBpf(bpfSource: string, eventHeader: string): Promise<string> {
  const gen = mkdtempSync(join(tmpdir(), "ecli-wasm-guest-"));
  const stem = basename(bpfSource).split(".")[0];
  const { object } = await compile({
    source: bpfSource,
    exportHeader: eventHeader,
    outputDir: gen,
    noPackage: true,
    wasmHeader: true,
  });
  writeFileSync(join(gen, `${stem}.bpf.inc`), objectAsCArray(object, `${stem}_bpf`));
  return gen;
}

/** Links a guest against the files of `prepareBpf` with clang for wasm32-wasi. */
export function linkGuest(
  gen: string,
  b: Pick<GuestBuild, "guestSource" | "output" | "cflags" | "clang">,
): void {
  mkdirSync(dirname(resolve(b.output)), { recursive: true });
  const clang = b.clang ?? process.env.WASM_CLANG ?? "clang-14";
  const args = [
    "--target=wasm32-wasi",
    "-O2",
    `-I${gen}`,
    `-I${GUEST_INCLUDE}`,
    ...(b.cflags ?? []),
    "-Wl,--allow-undefined,--export-table",
    "-o",
    b.output,
    b.guestSource,
  ];
  const r = spawnSync(clang, args, { encoding: "utf8" });
  if (r.error) {
    throw new Error(
      `${clang} not found: apt-get install clang-14 lld-14 wasi-libc libclang-rt-14-dev-wasm32`,
    );
  }
  if (r.status !== 0) throw new Error(`${clang} ${args.join(" ")} failed:\n${r.stderr}`);
}

/** Builds the guest (both steps); throws with clang's diagnostics on failure. */
export async function buildGuest(b: GuestBuild): Promise<void> {
  const gen = await prepareBpf(b.bpfSource, b.eventHeader);
  try {
    linkGuest(gen, { ...b, cflags: [`-I${dirname(resolve(b.eventHeader))}`, ...(b.cflags ?? [])] });
  } finally {
    rmSync(gen, { recursive: true, force: true });
  }
}

if (import.meta.main) {
  const { positionals, values } = parseArgs({
    args: process.argv.slice(2),
    allowPositionals: true,
    options: { output: { type: "string", short: "o" } },
  });
  const [bpfSource, eventHeader, guestSource] = positionals;
  if (!guestSource || !values.output) {
    console.error("usage: build.ts <prog.bpf.c> <event.h> <guest.c> -o <guest.wasm>");
    process.exit(2);
  }
  try {
    await buildGuest({ bpfSource, eventHeader, guestSource, output: values.output });
    console.error(`built ${values.output}`);
  } catch (e) {
    console.error(`build: error: ${(e as Error).message}`);
    process.exit(1);
  }
}
