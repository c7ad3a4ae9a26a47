import process from "node:process";
import { spawnSync } from "node:child_process";
import { readFileSync, statSync } from "node:fs";
import { arch } from "node:os";
import { cacheDir, writeFileAtomic } from "./cache.ts";
import { CompileError } from "./errors.ts";

/** `__TARGET_ARCH_*` suffix for the host, as libbpf's bpf_tracing.h expects. */
export function targetArch(machine = arch()): string {
  const map: Record<string, string> = {
    x64: "x86",
    arm64: "arm64",
    ppc64: "powerpc",
    mips: "mips",
    riscv64: "riscv",
    s390x: "s390",
  };
  return map[machine] ?? machine;
}

/** Result of running a tool. */
export interface ToolResult {
  /** Exit status (null when killed by a signal). */
  status: number | null;
  /** Captured standard output. */
  stdout: string;
  /** Captured standard error. */
  stderr: string;
}

/** Runs `argv` and captures its output; a missing executable is a `CompileError` naming it. */
export function runTool(argv: string[], input?: string): ToolResult {
  const r = spawnSync(argv[0], argv.slice(1), {
    encoding: "utf8",
    input,
    maxBuffer: 64 << 20,
  });
  if (r.error) {
    const code = (r.error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") {
      const pkg = argv[0].includes("strip") ? "llvm" : "clang";
      throw new CompileError(
        `${argv[0]} not found: install it (Debian: apt-get install ${pkg}) or pass its path`,
      );
    }
    throw new CompileError(`cannot run ${argv[0]}: ${r.error.message}`);
  }
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/**
 * The system include directories clang searches (`clang -v -E -`), to be passed as
 * `-idirafter`: `-target bpf` alone does not search the multiarch directory that holds
 * `asm/types.h`. Cached per clang binary (path, size, mtime) because the probe costs a clang
 * start-up on every compile otherwise.
 */
export function systemIncludeDirs(clang: string): string[] {
  const which = runToolPath(clang);
  let key = clang;
  try {
    const st = statSync(which);
    key = `${which}:${st.size}:${st.mtimeMs}`;
  } catch { /* not a path we can stat: probe every time */ }
  const cacheFile = cacheDir("clang-includes.json");
  let cached: Record<string, string[]> = {};
  try {
    cached = JSON.parse(readFileSync(cacheFile, "utf8"));
    if (cached[key]) return cached[key];
  } catch { /* no cache yet */ }
  const r = runTool([clang, "-v", "-E", "-"], "");
  const lines = r.stderr.split("\n");
  const start = lines.findIndex((l) => l.includes("search starts here:") && l.includes("<"));
  const end = lines.findIndex((l, i) => i > start && l.startsWith("End of search list."));
  const dirs = start < 0 || end < 0
    ? []
    : lines.slice(start + 1, end).map((l) => l.trim()).filter((l) => l.startsWith("/"));
  try {
    writeFileAtomic(cacheFile, JSON.stringify({ ...cached, [key]: dirs }));
  } catch { /* a read-only cache only costs speed */ }
  return dirs;
}

/** Resolves a bare command name through PATH (returns the name itself if not found). */
function runToolPath(cmd: string): string {
  if (cmd.includes("/")) return cmd;
  for (const dir of (process.env.PATH ?? "").split(":")) {
    const p = `${dir}/${cmd}`;
    try {
      if (statSync(p).isFile()) return p;
    } catch { /* keep looking */ }
  }
  return cmd;
}
