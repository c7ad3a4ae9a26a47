import { spawnSync } from "node:child_process";
import {
  appendFileSync,
  chmodSync,
  copyFileSync,
  existsSync,
  renameSync,
  rmSync,
  statSync,
  truncateSync,
} from "node:fs";
import { basename, resolve } from "node:path";
import process from "node:process";
import { elfExtent } from "../elf/mod.ts";
import { Buffer } from "node:buffer";
import { programHandler, type ProgramSource } from "../source/mod.ts";
import { StandaloneError } from "./errors.ts";
import { encodePayload, type ToolPayload } from "./payload.ts";

/** What `bundleTool` makes a tool of. */
export interface BundleOptions {
  /** The executable to copy (a Bun-compiled ecli); an earlier tool's payload is dropped. */
  base: string;
  /** The program, already read (`readProgram`: a file, URL, stdin or OCI image). */
  program: ProgramSource;
  /** A handler module, bundled with its imports into the tool. */
  handler?: string;
  /** Inline handler code (`-e`), instead of a module. */
  evalCode?: string;
  /** Arguments every run of the tool starts with (ecli run options, program flags). */
  args?: string[];
  /** The tool file to write (default: the program's name, without `_bpf`, in the cwd). */
  output?: string;
  /** This ecli's version, recorded in the payload. */
  version: string;
}

/** What `bundleTool` wrote. */
export interface BundleResult {
  /** The tool file. */
  output: string;
  /** Its size. */
  bytes: number;
  /** Size of the executable part. */
  executableBytes: number;
  /** Size of the payload with its trailer. */
  payloadBytes: number;
  /** The payload it carries. */
  payload: ToolPayload;
}

type BunBuild = (o: { entrypoints: string[]; target: string; format: string }) => Promise<{
  success: boolean;
  logs: { message: string }[];
  outputs: { text(): Promise<string> }[];
}>;

/**
 * One ES module of the handler and everything it imports, so the tool needs none of its files.
 * Bun's bundler does it: in-process under Bun (and inside the executable), else the base
 * executable run as Bun (`BUN_BE_BUN=1`), so Deno users need no Bun installed either.
 */
export async function bundleHandler(path: string, base: string): Promise<string> {
  const abs = resolve(path);
  if (!existsSync(abs)) throw new StandaloneError(`${path}: no such file`);
  const bun = (globalThis as { Bun?: { build: BunBuild } }).Bun;
  if (bun) {
    let r;
    try {
      r = await bun.build({ entrypoints: [abs], target: "bun", format: "esm" });
    } catch (e) {
      const msg = (e as { errors?: { message: string }[] }).errors?.[0]?.message ??
        (e as Error).message;
      throw new StandaloneError(`${path}: cannot bundle the handler: ${firstLine(msg)}`);
    }
    if (!r.success) {
      throw new StandaloneError(
        `${path}: cannot bundle the handler: ${firstLine(r.logs[0]?.message ?? "build failed")}`,
      );
    }
    return await r.outputs[0].text();
  }
  const r = spawnSync(base, ["build", abs, "--target=bun", "--format=esm"], {
    encoding: "utf8",
    env: { ...process.env, BUN_BE_BUN: "1" },
    maxBuffer: 256 * 1024 * 1024,
  });
  if (r.error) throw new StandaloneError(`${base}: cannot run: ${r.error.message}`);
  if (r.status !== 0) {
    const msg = r.stderr.split("\n").find((l) => /error/i.test(l)) ?? r.stderr;
    throw new StandaloneError(
      `${path}: cannot bundle the handler: ${firstLine(msg.trim().replace(/^error:\s*/, ""))}`,
    );
  }
  return r.stdout;
}

function firstLine(text: string): string {
  return text.split("\n")[0];
}

/**
 * Makes a standalone tool: a copy of the `base` executable with the package (as given), the
 * bundled handler and the default arguments appended as a verified payload. The package is
 * decoded first, so a broken one never becomes a tool. Written to a temporary file and renamed,
 * so a failed bundle leaves no half-written tool behind.
 */
export async function bundleTool(o: BundleOptions): Promise<BundleResult> {
  if (o.handler !== undefined && o.evalCode !== undefined) {
    throw new StandaloneError("--handler and -e are alternatives; give one");
  }
  // Decoded first (packages; a wasm module runs itself): a broken program never becomes a tool.
  const kind = programHandler(o.program);
  const pkg = kind.toPackage ? await kind.toPackage(o.program) : undefined;
  const stem = pkg?.meta.bpf_skel.obj_name.replace(/_bpf$/, "") ??
    basename(o.program.source).replace(/\.[^.]+$/, "");
  const output = o.output ?? resolve(stem);
  const payload: ToolPayload = {
    ecli: o.version,
    name: basename(output),
    program: {
      source: o.program.source === "-" ? `stdin.${o.program.type}` : basename(o.program.source),
      type: o.program.type,
      data: Buffer.from(o.program.bytes).toString("base64"),
    },
    args: o.args ?? [],
  };
  if (o.handler !== undefined) {
    payload.handler = { source: basename(o.handler), code: await bundleHandler(o.handler, o.base) };
  }
  if (o.evalCode !== undefined) payload.eval = o.evalCode;
  const { end } = elfExtent(o.base);
  const encoded = encodePayload(payload);
  const tmp = `${output}.${process.pid}.tmp`;
  try {
    copyFileSync(o.base, tmp);
    truncateSync(tmp, end);
    appendFileSync(tmp, encoded);
    chmodSync(tmp, 0o755);
    renameSync(tmp, output);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw new StandaloneError(`${output}: cannot write the tool: ${(e as Error).message}`);
  }
  return {
    output,
    bytes: statSync(output).size,
    executableBytes: end,
    payloadBytes: encoded.length,
    payload,
  };
}
