/**
 * Stages what the single executable embeds into `dist/ecli-assets/`: the BPF headers of
 * `compile/include/` (read back by `compile/headers.ts`), this machine's libbpf.so.1 with the
 * shared libraries it needs beyond glibc (read back by `ffi/library.ts`), and `manifest.json`
 * describing both. `tools/build.ts` and `tools/build_deno.ts` embed the directory as it is.
 * @module
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  realpathSync,
  renameSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { basename, dirname, join, relative } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import type { IncludeManifest } from "../compile/headers.ts";
import type { EmbeddedLibrary } from "../ffi/library.ts";
import { VERSION } from "../version.ts";

/** The repository root. */
export const ROOT = fileURLToPath(new URL("../", import.meta.url)).replace(/\/$/, "");

/** Where the assets are staged (the directory's name is their prefix inside the executable). */
export const ASSETS_DIR = join(ROOT, "dist", "ecli-assets");

/** `dist/ecli-assets/manifest.json`. */
export interface AssetManifest {
  /** ecli-ts version that staged them. */
  version: string;
  /** Embedded shared libraries in load order (dependencies first). */
  libs: EmbeddedLibrary[];
  /** The embedded include tree. */
  include: IncludeManifest;
}

/** A build step that failed: one line for the user. */
export class BuildError extends Error {
  override name = "BuildError";
}

/** Runs a command and returns its stdout; throws a BuildError naming it when it fails. */
export function capture(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: "utf8" });
  if (r.error) throw new BuildError(`cannot run ${cmd}: ${r.error.message}`);
  if (r.status !== 0) {
    throw new BuildError(`${cmd} ${args.join(" ")} failed: ${r.stderr.trim().split("\n")[0]}`);
  }
  return r.stdout;
}

/** glibc's own libraries: every Linux system has them, so they are never embedded. */
const GLIBC = /^(ld-linux[\w-]*|linux-vdso|libc|libm|libdl|libpthread|librt|libresolv)\.so\./;

/** The path `ldconfig -p` gives for `soname` on this machine's architecture. */
export function ldconfigPath(soname: string): string | undefined {
  const ldconfig = existsSync("/sbin/ldconfig") ? "/sbin/ldconfig" : "ldconfig";
  const tag = process.arch === "arm64" ? "AArch64" : "x86-64";
  for (const line of capture(ldconfig, ["-p"]).split("\n")) {
    const m = line.match(/^\s*(\S+) \(([^)]*)\) => (\S+)$/);
    if (m && m[1] === soname && m[2].includes(tag)) return m[3];
  }
  return undefined;
}

/** The non-glibc libraries `ldd` says `path` needs (transitively), by SONAME. */
function lddDependencies(path: string): Map<string, string> {
  const deps = new Map<string, string>();
  for (const line of capture("ldd", [path]).split("\n")) {
    const m = line.match(/^\s*(\S+) => (.+?)(?: \(0x[0-9a-f]+\))?$/);
    if (!m || GLIBC.test(m[1])) continue;
    if (m[2] === "not found") throw new BuildError(`${path} needs ${m[1]}, which is not installed`);
    deps.set(m[1], m[2]);
  }
  return deps;
}

/**
 * libbpf (`libbpfPath`, default: the system's libbpf.so.1) and every library it needs beyond
 * glibc, dependencies first: `ldd` lists dependencies transitively, so a library always needs
 * more libraries than any library it needs, and sorting by that count is a topological order.
 */
export function libbpfChain(libbpfPath?: string): { soname: string; path: string }[] {
  const path = libbpfPath ?? ldconfigPath("libbpf.so.1");
  if (!path || !existsSync(path)) {
    throw new BuildError(
      `libbpf.so.1 not found${libbpfPath ? ` at ${libbpfPath}` : ""}: ` +
        `install it (Debian: apt-get install libbpf1) or pass --libbpf PATH`,
    );
  }
  const all = new Map([["libbpf.so.1", path], ...lddDependencies(path)]);
  const needs = new Map([...all].map(([soname, p]) => [soname, lddDependencies(p).size]));
  return [...all].sort(([a], [b]) => needs.get(a)! - needs.get(b)!)
    .map(([soname, p]) => ({ soname, path: p }));
}

/** Every file under `dir`, as paths relative to it, sorted. */
function filesUnder(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) out.push(relative(dir, p));
    }
  };
  walk(dir);
  return out.sort();
}

/**
 * Stages the headers, the libbpf chain and the manifest into `dist/ecli-assets/` (built beside
 * it and renamed, so a reader never sees half of it). Returns the manifest.
 */
export function stageAssets(opts: { libbpf?: string } = {}): AssetManifest {
  const chain = libbpfChain(opts.libbpf);
  const tmp = `${ASSETS_DIR}.${process.pid}.tmp`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(join(tmp, "lib"), { recursive: true });

  const includeSrc = join(ROOT, "compile", "include");
  const files = filesUnder(includeSrc).filter((f) => !f.endsWith(".md"));
  const hash = createHash("sha256");
  for (const f of files) {
    const bytes = readFileSync(join(includeSrc, f));
    hash.update(f).update("\0").update(bytes);
    mkdirSync(dirname(join(tmp, "include", f)), { recursive: true });
    writeFileSync(join(tmp, "include", f), bytes);
  }

  const libs: EmbeddedLibrary[] = chain.map(({ soname, path }) => {
    copyFileSync(path, join(tmp, "lib", soname));
    return { soname, file: basename(realpathSync(path)) };
  });

  const manifest: AssetManifest = {
    version: VERSION,
    libs,
    include: { id: hash.digest("hex").slice(0, 16), files },
  };
  writeFileSync(join(tmp, "manifest.json"), JSON.stringify(manifest, null, 2) + "\n");
  rmSync(ASSETS_DIR, { recursive: true, force: true });
  renameSync(tmp, ASSETS_DIR);
  return manifest;
}
