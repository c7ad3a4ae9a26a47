/**
 * Which libbpf to load, and loading it. The system's `libbpf.so.1` comes first; when it cannot
 * be opened (missing, too old, or its libelf/libz missing), the copy that `tools/build.ts`
 * embedded in the single executable is loaded from memory: each library of the chain
 * (libz → libelf → libbpf, in dependency order) is written to a memfd and dlopen'd as
 * `/proc/self/fd/N`, so every DT_NEEDED entry is met by a SONAME already loaded and the binary
 * needs nothing but glibc.
 *
 * - `ECLI_LIBBPF=system` uses the system library only, `ECLI_LIBBPF=embedded` the embedded copy
 *   only (to test it on a machine that has libbpf); unset or `auto` is system, else embedded.
 * - `LIBBPF_PATH=/path/libbpf.so` loads that file and nothing else.
 *
 * The embedded copies live in `ecli-assets/` beside the bundle (`/$bunfs/root/ecli-assets/`
 * in the Bun executable), or in `dist/ecli-assets/` of a built checkout (`deno compile
 * --include`, or `deno run`/`bun` after `deno task compile`).
 * @module
 */
import { existsSync, readFileSync, realpathSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import type { LibcLoader } from "./libc.ts";
import { cString } from "./structs.ts";
import type { Memory } from "./types.ts";

/** The SONAME we bind. */
export const LIBBPF_SONAME = "libbpf.so.1";

/** Where the libbpf in use came from. */
export type LibbpfSource = "system" | "embedded" | "LIBBPF_PATH";

/** The libbpf a backend opened. */
export interface LibbpfOrigin {
  /** What was passed to dlopen (`libbpf.so.1`, `/proc/self/fd/N`, or `$LIBBPF_PATH`). */
  readonly path: string;
  /** `system`, `embedded`, or `LIBBPF_PATH`. */
  readonly source: LibbpfSource;
  /** The library's real file name when known (`libbpf.so.1.1.2`): it carries the patch level. */
  readonly fileName?: string;
}

/** One embedded shared library, as `tools/build.ts` records it in `ecli-assets/manifest.json`. */
export interface EmbeddedLibrary {
  /** Its SONAME; the file is `ecli-assets/lib/<soname>`. */
  readonly soname: string;
  /** The file name it had on the build machine (`libbpf.so.1.1.2`). */
  readonly file: string;
}

/** The part of `ecli-assets/manifest.json` this module reads. */
interface LibraryManifest {
  /** Libraries in load order: every library's dependencies come before it. */
  libs?: EmbeddedLibrary[];
}

/** The native pieces `openLibbpf` needs from a backend. */
export interface LibraryHost {
  /** libc's memfd_create, write, dlopen, dlerror. */
  readonly libc: LibcLoader;
  /** Pointer helpers (for dlerror's string). */
  readonly memory: Memory;
}

const MFD_CLOEXEC = 1;
const RTLD_NOW = 2;

/** An environment variable, or undefined when unset or not permitted (Deno without env). */
function envVar(name: string): string | undefined {
  try {
    return process.env[name] || undefined;
  } catch {
    return undefined;
  }
}

/** The directory holding the embedded assets and their manifest, if this build has one. */
export function embeddedAssetsDir(): string | undefined {
  const here = dirname(fileURLToPath(import.meta.url));
  for (const dir of [join(here, "ecli-assets"), join(here, "..", "dist", "ecli-assets")]) {
    try {
      if (existsSync(join(dir, "manifest.json"))) return dir;
    } catch { /* no read permission: no assets */ }
  }
  return undefined;
}

/** The embedded libraries in load order (empty when this build embeds none). */
export function embeddedLibraries(dir = embeddedAssetsDir()): EmbeddedLibrary[] {
  if (dir === undefined) return [];
  try {
    const manifest = JSON.parse(
      readFileSync(join(dir, "manifest.json"), "utf8"),
    ) as LibraryManifest;
    return (manifest.libs ?? []).filter((l) =>
      typeof l?.soname === "string" && typeof l?.file === "string"
    );
  } catch {
    return [];
  }
}

/** The libraries already loaded from memory, by SONAME (a process loads each chain once). */
const loadedFromMemory = new Map<string, string>();

/**
 * Writes `bytes` to a memfd named `name` and dlopens it; returns the `/proc/self/fd/N` path
 * (opening that path again returns the same library). The fd stays open for the life of the
 * process: glibc knows the library by that path, and a reused fd number would alias it.
 */
function dlopenFromMemory(host: LibraryHost, name: string, bytes: Uint8Array): string {
  const { libc, memory } = host;
  const fd = libc.memfd_create(cString(name), MFD_CLOEXEC);
  if (fd < 0) throw new Error(`memfd_create for ${name} failed`);
  for (let off = 0; off < bytes.length;) {
    const n = Number(libc.write(fd, bytes.subarray(off), bytes.length - off));
    if (n <= 0) throw new Error(`cannot write ${name} to a memfd`);
    off += n;
  }
  const path = `/proc/self/fd/${fd}`;
  if (memory.isNull(libc.dlopen(cString(path), RTLD_NOW))) {
    throw new Error(`dlopen of the embedded ${name} failed: ${memory.cString(libc.dlerror())}`);
  }
  return path;
}

/**
 * Loads the embedded chain from memory (once per process) and returns the path to bind libbpf
 * from, with its build-machine file name; undefined when this build embeds no libbpf.
 */
function loadEmbedded(host: LibraryHost): { path: string; fileName: string } | undefined {
  const dir = embeddedAssetsDir();
  const libs = embeddedLibraries(dir);
  const own = libs.find((l) => l.soname === LIBBPF_SONAME);
  if (dir === undefined || own === undefined) return undefined;
  for (const lib of libs) {
    if (loadedFromMemory.has(lib.soname)) continue;
    const bytes = readFileSync(join(dir, "lib", lib.soname));
    loadedFromMemory.set(lib.soname, dlopenFromMemory(host, lib.file, bytes));
    if (lib === own) break;
  }
  return { path: loadedFromMemory.get(LIBBPF_SONAME)!, fileName: own.file };
}

/**
 * The real file name of the libbpf mapped into this process from `path` (read from
 * /proc/self/maps, since dlopen searched for it), or undefined.
 */
function mappedFileName(path: string): string | undefined {
  if (path.includes("/")) {
    try {
      return basename(realpathSync(path));
    } catch {
      return undefined;
    }
  }
  try {
    for (const line of readFileSync("/proc/self/maps", "utf8").split("\n")) {
      const file = line.slice(line.indexOf("/"));
      if (line.includes("/") && basename(file).startsWith("libbpf.so")) {
        return basename(realpathSync(file));
      }
    }
  } catch { /* no /proc: the version stays major.minor */ }
  return undefined;
}

/**
 * Opens libbpf with `bind` (the backend's dlopen of its symbol tables): `$LIBBPF_PATH`, else the
 * system library, else the embedded copy, as `$ECLI_LIBBPF` allows. Throws a one-line error
 * naming what was tried.
 */
export function openLibbpf<T>(
  host: LibraryHost,
  bind: (path: string) => T,
): { lib: T; origin: LibbpfOrigin } {
  const explicit = envVar("LIBBPF_PATH");
  if (explicit) {
    const lib = bind(explicit);
    return {
      lib,
      origin: { path: explicit, source: "LIBBPF_PATH", fileName: mappedFileName(explicit) },
    };
  }
  const mode = envVar("ECLI_LIBBPF") ?? "auto";
  if (!["auto", "system", "embedded"].includes(mode)) {
    throw new Error(`ECLI_LIBBPF=${mode}: expected system, embedded or auto`);
  }
  let systemError: Error | undefined;
  if (mode !== "embedded") {
    try {
      const lib = bind(LIBBPF_SONAME);
      return {
        lib,
        origin: { path: LIBBPF_SONAME, source: "system", fileName: mappedFileName(LIBBPF_SONAME) },
      };
    } catch (e) {
      systemError = e as Error;
      if (mode === "system") throw systemError;
    }
  }
  const embedded = loadEmbedded(host);
  if (embedded === undefined) {
    if (systemError) {
      throw new Error(
        `${systemError.message} (install libbpf1, or use the ecli executable, which embeds it)`,
      );
    }
    throw new Error(
      "ECLI_LIBBPF=embedded: this build embeds no libbpf (build it with deno task compile)",
    );
  }
  const lib = bind(embedded.path);
  return { lib, origin: { path: embedded.path, source: "embedded", fileName: embedded.fileName } };
}

/**
 * libbpf's version: `major.minor` from the library itself, plus the patch level from its file
 * name when that names the same major.minor (`libbpf.so.1.1.2` → `1.1.2`).
 */
export function libbpfVersion(major: number, minor: number, fileName?: string): string {
  const m = fileName?.match(/^libbpf\.so\.(\d+)\.(\d+)\.(\d+)$/);
  if (m && Number(m[1]) === major && Number(m[2]) === minor) return `${major}.${minor}.${m[3]}`;
  return `${major}.${minor}`;
}
