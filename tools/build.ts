/**
 * `deno task compile`: builds the single executable `dist/ecli` with `bun build --compile`
 * (offline: Bun uses itself as the base binary) and the symlink `dist/ecc -> ecli`.
 *
 * The executable embeds `dist/ecli-assets/` (see `tools/build_assets.ts`): the BPF headers,
 * extracted once to the cache dir for clang, and libbpf.so.1 with libelf and libz, loaded from
 * memory when the system has no usable libbpf. So compiling needs only clang on the target,
 * and running needs only glibc.
 *
 * ```sh
 * deno task compile                     # dist/ecli, dist/ecc
 * deno task compile --libbpf /opt/libbpf/libbpf.so.1   # embed another libbpf build
 * deno task compile --if-stale          # only when a source is newer than dist/ecli
 * ```
 * @module
 */
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, statSync, symlinkSync, unlinkSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import { parseArgs } from "node:util";
import { VERSION } from "../version.ts";
import {
  type AssetManifest,
  ASSETS_DIR,
  BuildError,
  capture,
  ROOT,
  stageAssets,
} from "./build_assets.ts";

/** The executable `deno task compile` writes. */
export const BINARY = join(ROOT, "dist", "ecli");

/** Directories whose files never go into the executable. */
const NOT_SOURCES = new Set([".git", "node_modules", "dist", "tests", "bench", "examples"]);

/** The kinds of file the executable is built from (code, npm metadata, headers). */
const BUILT_FROM = /\.(ts|json|h|gz)$/;

/** The newest modification time (ms) of the files the executable is built from. */
export function newestSource(dir = ROOT): number {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (NOT_SOURCES.has(e.name) || e.name.startsWith(".")) continue;
    const p = join(dir, e.name);
    if (e.isDirectory()) newest = Math.max(newest, newestSource(p));
    else if (e.isFile() && BUILT_FROM.test(e.name) && !e.name.endsWith("_test.ts")) {
      newest = Math.max(newest, statSync(p).mtimeMs);
    }
  }
  return newest;
}

/** Whether `dist/ecli` (or its staged assets) is missing or older than a file it is built from. */
export function binaryIsStale(): boolean {
  return !existsSync(BINARY) || !existsSync(join(ASSETS_DIR, "manifest.json")) ||
    statSync(BINARY).mtimeMs < newestSource();
}

/** What one build produced. */
export interface BuildResult {
  /** The executable. */
  binary: string;
  /** Its size in bytes. */
  bytes: number;
  /** What it embeds. */
  manifest: AssetManifest;
}

/** Stages the assets and compiles `cli.ts` with them into `dist/ecli`; links `dist/ecc`. */
export function buildBinary(opts: { libbpf?: string } = {}): BuildResult {
  const manifest = stageAssets(opts);
  const args = [
    "build",
    "--compile",
    // Precompiled bytecode halves start-up (about 40 ms instead of 80 for `ecli info`); it
    // needs the ESM output format spelled out for our top-level await.
    "--minify",
    "--bytecode",
    "--format=esm",
    "cli.ts",
    // A Worker's module must be an entrypoint of its own in a compiled executable.
    "lib/wasm/guest_worker.ts",
    "--asset=dist/ecli-assets",
    "--outfile",
    BINARY,
  ];
  const r = spawnSync("bun", args, { cwd: ROOT, encoding: "utf8" });
  if (r.error) {
    throw new BuildError(`bun not found: install it (npm install -g bun) to build ${BINARY}`);
  }
  if (r.status !== 0) {
    throw new BuildError(`bun ${args.join(" ")} failed:\n${r.stderr.trim()}`);
  }
  const ecc = join(ROOT, "dist", "ecc");
  try {
    unlinkSync(ecc);
  } catch { /* not there yet */ }
  symlinkSync("ecli", ecc);
  // A build that does not start is no build: it must answer as ecli.
  const version = capture(BINARY, ["--version"]);
  if (!version.startsWith(`ecli (ecli-ts) ${VERSION}`)) {
    throw new BuildError(`${BINARY} --version printed '${version.trim()}'`);
  }
  return { binary: BINARY, bytes: statSync(BINARY).size, manifest };
}

/** Builds `dist/ecli` unless it is newer than every source; returns its path. */
export function ensureBinary(): string {
  if (binaryIsStale()) buildBinary();
  return BINARY;
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: { libbpf: { type: "string" }, "if-stale": { type: "boolean" } },
  });
  const started = performance.now();
  try {
    if (values["if-stale"] && !binaryIsStale()) {
      console.log(`${BINARY} is up to date`);
      process.exit(0);
    }
    const { binary, bytes, manifest } = buildBinary({ libbpf: values.libbpf });
    const libs = manifest.libs.map((l) => l.file).join(", ");
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    console.log(
      `built ${binary} (${(bytes / 1e6).toFixed(1)} MB; embeds ${libs} and ` +
        `${manifest.include.files.length} header files) in ${seconds} s; dist/ecc -> ecli`,
    );
  } catch (e) {
    console.error(`compile: error: ${(e as Error).message}`);
    process.exitCode = 1;
  }
}
