import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import process from "node:process";
import { VERSION } from "../version.ts";
import { cacheDir } from "./cache.ts";
import { compile } from "./ecc.ts";
import { CompileError } from "./errors.ts";

/**
 * Part of every build-cache key besides the ecli version: bump it when what ecc writes for the
 * same C changes (the package, the generated `.d.ts`), so no stale cached build is used.
 */
const BUILD_FORMAT = 2;

/** The BPF C source found in a script: its text and the script line it starts on. */
export interface ScriptSource {
  /** The C text inside the `bpf\`…\`` template. */
  code: string;
  /** 1-based line of the script where the C text starts (clang's diagnostics point there). */
  line: number;
}

/**
 * The BPF C of a script: the one `bpf\`…\`` tagged template in it, read as the raw text the
 * tag returns (`String.raw`). Read from the file's text, not by running it, so the C compiles
 * (and is cached) before any of the script's code runs; hence no `${…}` in the template.
 */
export function scriptSource(text: string, path: string): ScriptSource {
  const found = [...text.matchAll(/(?<![\w$.])bpf\s*`/g)];
  if (found.length === 0) {
    throw new CompileError(
      `${path}: no bpf\`...\` template: a script holds its BPF C as bpf\`...\` (or bpf\`#include "prog.bpf.c"\`)`,
    );
  }
  if (found.length > 1) {
    throw new CompileError(`${path}: ${found.length} bpf\`...\` templates; a script has one`);
  }
  const start = found[0].index! + found[0][0].length;
  let i = start;
  let code = "";
  for (; i < text.length && text[i] !== "`"; i++) {
    if (text[i] === "\\" && text[i + 1] === "`") {
      code += "`";
      i++;
    } else if (text[i] === "$" && text[i + 1] === "{") {
      throw new CompileError(
        `${path}:${lineAt(text, i)}: the bpf\`...\` template cannot interpolate \${...}: ` +
          "its C is compiled before the script runs",
      );
    } else code += text[i];
  }
  if (i >= text.length) {
    throw new CompileError(`${path}:${lineAt(text, start)}: the bpf\`...\` template is not closed`);
  }
  return { code, line: lineAt(text, start) };
}

function lineAt(text: string, index: number): number {
  let n = 1;
  for (let i = 0; i < index; i++) if (text.charCodeAt(i) === 10) n++;
  return n;
}

/** Quoted includes (`#include "x.h"`) of `code` and of what they include, relative to `dir`. */
function quotedIncludes(code: string, dir: string, seen = new Set<string>()): string[] {
  for (const m of code.matchAll(/^\s*#\s*include\s+"([^"]+)"/gm)) {
    const file = resolve(dir, m[1]);
    if (seen.has(file) || !existsSync(file)) continue;
    seen.add(file);
    quotedIncludes(readFileSync(file, "utf8"), dirname(file), seen);
  }
  return [...seen];
}

/** A script's built package. */
export interface ScriptBuild {
  /** The package.json. */
  package: string;
  /** The generated handler types (`<name>.d.ts`). */
  types: string;
  /** The script's name (its file name without the extension). */
  name: string;
  /** Whether it came from the cache (no clang run). */
  cached: boolean;
}

/**
 * Compiles a script's BPF C with ecc into a package, cached by content (`buildSource`): the
 * key also hashes every file the C includes with quotes (relative to the script), so an
 * unchanged script never runs clang again.
 */
export async function buildScript(
  script: string,
  opts: { log?: (line: string) => void; clang?: string } = {},
): Promise<ScriptBuild> {
  const path = resolve(script);
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new CompileError(`${script}: ${code === "ENOENT" ? "no such file" : code}`);
  }
  const src = scriptSource(text, script);
  const name = basename(path).replace(/\.[^.]+$/, "").replace(/[^A-Za-z0-9_]/g, "_");
  const includes = quotedIncludes(src.code, dirname(path));
  try {
    return await buildSource(`#line ${src.line} ${JSON.stringify(path)}\n${src.code}\n`, {
      name,
      key: [String(src.line), ...includes.flatMap((f) => [f, readFileSync(f, "latin1")])],
      cflags: ["-iquote", dirname(path)],
      clang: opts.clang,
      log: opts.log,
    });
  } catch (e) {
    if (e instanceof CompileError && e.message.startsWith("clang failed")) {
      throw new CompileError(
        `${script}: its BPF C does not compile (${e.message.replace(/ compiling .*/, "")})`,
        e.details,
      );
    }
    if (e instanceof CompileError && e.message.includes("defines no struct to export")) {
      throw new CompileError(
        `${script}: its BPF C defines no struct for the events ('struct NAME {')`,
      );
    }
    throw e;
  }
}

/** Options of `buildSource`. */
export interface SourceBuildOptions {
  /** The program's name: of the `.bpf.c` file and of the generated `<name>.d.ts`. */
  name: string;
  /** More text the package depends on besides the C (hashed into the cache key). */
  key?: string[];
  /** Extra clang arguments. */
  cflags?: string[];
  /** The clang to use. */
  clang?: string;
  /** Commands run, for `--verbose`. */
  log?: (line: string) => void;
  /** false: the C includes no `vmlinux.h` (none is rendered: faster). */
  vmlinux?: boolean;
}

/**
 * Compiles BPF C text with ecc into a package, cached by content: the key hashes the C text,
 * `opts.key` and this ecli version, so the same program never runs clang again. The C's own
 * structs are the package's export types. The cache is `<ecli cache>/build/<key>/`
 * (`$ECLI_CACHE_DIR`, else `$XDG_CACHE_HOME/ecli-ts`, else `~/.cache/ecli-ts`).
 */
export async function buildSource(code: string, opts: SourceBuildOptions): Promise<ScriptBuild> {
  const { name } = opts;
  const hash = createHash("sha256").update(`ecli ${VERSION} build ${BUILD_FORMAT}\0${code}`);
  for (const k of opts.key ?? []) hash.update(`\0${k}`);
  const dir = cacheDir("build", hash.digest("hex").slice(0, 32));
  const result = {
    package: join(dir, "package.json"),
    types: join(dir, `${name}.d.ts`),
    name,
  };
  if (existsSync(result.package)) return { ...result, cached: true };
  // Built beside the final directory and renamed into place: a concurrent run sees all or none.
  const tmp = `${dir}.${process.pid}.tmp`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  const source = join(tmp, `${name}.bpf.c`);
  writeFileSync(source, code);
  try {
    await compile({
      source,
      exportHeader: source,
      outputDir: tmp,
      clang: opts.clang,
      cflags: opts.cflags,
      log: opts.log,
      vmlinux: opts.vmlinux,
    });
    rmSync(dir, { recursive: true, force: true });
    renameSync(tmp, dir);
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
  return { ...result, cached: false };
}

/** What `declare global` adds to a script's types: the `bpf` template tag. */
const BPF_GLOBAL = `
declare global {
  /** An ecli script's BPF C source: ecli compiles it (cached) before the script runs. */
  function bpf(source: TemplateStringsArray): string;
}
`;

/**
 * The types of a script for editors and `deno check`: the handler types ecc generated for its
 * program, plus the global \`bpf\` tag. `ecli types script.ts` writes them beside the script.
 */
export function scriptTypes(build: ScriptBuild): string {
  return readFileSync(build.types, "utf8") + BPF_GLOBAL;
}
