/**
 * Test support: compiling BPF sources for kernel tests, with an optional content-addressed cache
 * (`ECLI_TEST_BUILD_CACHE=DIR`). The kernel matrix sets it so packages are compiled once on the
 * host and only loaded in the qemu guests (clang under TCG is ~15× slower, and the guests' own
 * kernel BTF would be rendered into vmlinux.h on every boot). The cache key is the content of
 * the source, of every header beside it and of the options, so a changed source never hits a
 * stale entry; a miss compiles as usual and stores the result when the directory is writable.
 * @module
 */
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
} from "node:fs";
import { basename, dirname, join } from "node:path";
import { compile, type CompileOptions, type CompileResult } from "../../compile/mod.ts";
import { ROOT } from "./cli.ts";

const ROLES = ["object", "skeleton", "types", "package", "tar"] as const;

async function cacheKey(opts: CompileOptions): Promise<string> {
  const dir = dirname(opts.source);
  const parts: unknown[] = [
    basename(opts.source),
    readFileSync(opts.source, "latin1"),
    opts.exportHeader ? readFileSync(opts.exportHeader, "latin1") : null,
    opts.yaml ?? false,
    opts.cflags ?? [],
    opts.headerOnly ?? false,
    opts.noPackage ?? false,
    opts.clang ?? null,
    opts.llvmStrip ?? null,
    // The archive is keyed by path: the matrix builds a fresh one per run.
    opts.btfgen ? opts.btfhubArchive ?? null : null,
    opts.btfFrom ?? [],
  ];
  for (const f of readdirSync(dir).sort()) {
    if (f.endsWith(".h")) parts.push(f, readFileSync(join(dir, f), "latin1"));
  }
  const digest = await crypto.subtle.digest(
    "SHA-256",
    new TextEncoder().encode(JSON.stringify(parts)),
  );
  return Array.from(new Uint8Array(digest).slice(0, 16), (b) => b.toString(16).padStart(2, "0"))
    .join("");
}

/** `compile` for tests: served from `ECLI_TEST_BUILD_CACHE` when set and already built there. */
export async function compileForTest(opts: CompileOptions): Promise<CompileResult> {
  const cache = Deno.env.get("ECLI_TEST_BUILD_CACHE");
  if (!cache) return await compile(opts);
  const entry = join(cache, await cacheKey(opts));
  const outDir = opts.outputDir ?? dirname(opts.source);
  const index = join(entry, "result.json");
  if (existsSync(index)) {
    const saved = JSON.parse(readFileSync(index, "utf8")) as {
      meta: Record<string, unknown>;
      files: Record<string, string>;
    };
    mkdirSync(outDir, { recursive: true });
    const files = {} as CompileResult["files"];
    for (const [role, name] of Object.entries(saved.files)) {
      copyFileSync(join(entry, name), join(outDir, name));
      files[role as keyof CompileResult["files"]] = join(outDir, name);
    }
    return { meta: saved.meta, object: readFileSync(files.object), files };
  }
  const r = await compile(opts);
  try {
    // Written beside the entry and renamed into place: parallel test files never see half of it.
    const tmp = `${entry}.${Deno.pid}.tmp`;
    mkdirSync(tmp, { recursive: true });
    const names: Record<string, string> = {};
    for (const role of ROLES) {
      const path = r.files[role];
      if (!path) continue;
      names[role] = basename(path);
      copyFileSync(path, join(tmp, names[role]));
    }
    Deno.writeTextFileSync(
      join(tmp, "result.json"),
      JSON.stringify({ meta: r.meta, files: names }),
    );
    renameSync(tmp, entry);
  } catch {
    // A read-only or racing cache only costs the next run a compile.
  }
  return r;
}

/**
 * Compiles a bundled example (`examples/NAME/NAME.bpf.c` with its `NAME.h`) into `outDir` and
 * returns its package path.
 */
export async function compileExample(name: string, outDir: string): Promise<string> {
  const ex = `${ROOT}/examples/${name}`;
  const r = await compileForTest({
    source: `${ex}/${name}.bpf.c`,
    exportHeader: existsSync(`${ex}/${name}.h`) ? `${ex}/${name}.h` : undefined,
    outputDir: join(outDir, name),
  });
  return r.files.package!;
}

/**
 * Compiles `tests/support/seqmap.bpf.c` (a hash map with one key per getpid(2) call of
 * `--target_pid`) into `outDir` and returns its package path.
 */
export async function seqmapPackage(outDir: string): Promise<string> {
  const r = await compileForTest({
    source: `${ROOT}/tests/support/seqmap.bpf.c`,
    outputDir: outDir,
  });
  return r.files.package!;
}

/**
 * `compileExample` into `outDir`, once per example name and lazily (a skipped suite compiles
 * nothing): returns the function that gives an example's package path.
 */
export function exampleCache(outDir: string): (name: string) => Promise<string> {
  const packages = new Map<string, Promise<string>>();
  return (name) => {
    if (!packages.has(name)) packages.set(name, compileExample(name, outDir));
    return packages.get(name)!;
  };
}
