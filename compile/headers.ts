/**
 * Where the shipped BPF headers come from: `compile/include/` in a source checkout; in a single
 * executable, the copies `tools/build.ts` embedded under `ecli-assets/include/`, extracted once
 * into the cache directory (clang needs real files) under a name that changes with their
 * content.
 * @module
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { cacheDir } from "./cache.ts";
import { CompileError } from "./errors.ts";

/** The part of `ecli-assets/manifest.json` (written by `tools/build.ts`) read here. */
export interface IncludeManifest {
  /** A hash of the embedded include tree: the name of its extracted copy. */
  id: string;
  /** Paths relative to the include root (`bpf/bpf_helpers.h`, `vmlinux/x86/vmlinux.h.gz`). */
  files: string[];
}

let root: string | undefined;

/**
 * The directory holding the shipped BPF headers (`bpf/bpf_helpers.h`, …) and bundled
 * `vmlinux/<arch>/vmlinux.h.gz`.
 */
export function includeRoot(): string {
  if (root !== undefined) return root;
  const here = dirname(fileURLToPath(import.meta.url));
  const source = join(here, "include");
  if (existsSync(join(source, "bpf", "bpf_helpers.h"))) return root = source;
  // The Bun executable has every module at /$bunfs/root/ and the assets beside them; a
  // `deno compile` build keeps the source layout and includes dist/ecli-assets.
  for (const assets of [join(here, "ecli-assets"), join(here, "..", "dist", "ecli-assets")]) {
    if (existsSync(join(assets, "manifest.json"))) return root = extractIncludes(assets);
  }
  return root = source; // no headers anywhere: clang names the one it misses
}

/** Copies the embedded include tree to the cache once; returns the copy's directory. */
function extractIncludes(assets: string): string {
  const manifest = JSON.parse(readFileSync(join(assets, "manifest.json"), "utf8")) as {
    include?: IncludeManifest;
  };
  const include = manifest.include;
  if (!include?.id || !Array.isArray(include.files)) {
    throw new CompileError(`${assets}/manifest.json lists no headers: rebuild the executable`);
  }
  const dir = cacheDir("include", include.id);
  if (existsSync(dir)) return dir;
  // Written beside the final name and renamed: a directory that exists is complete, even
  // when several compiles start at once.
  const tmp = `${dir}.${process.pid}.tmp`;
  try {
    for (const file of include.files) {
      const to = join(tmp, file);
      mkdirSync(dirname(to), { recursive: true });
      writeFileSync(to, readFileSync(join(assets, "include", file)));
    }
    renameSync(tmp, dir);
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    if (existsSync(dir)) return dir; // another process got there first
    throw new CompileError(
      `cannot extract the BPF headers to ${dir}: ${(e as Error).message} ` +
        `(set ECLI_CACHE_DIR to a writable directory)`,
    );
  }
  return dir;
}
