import { readFileSync } from "node:fs";
import { basename } from "node:path";
import process from "node:process";
import { WasmError } from "./errors.ts";
import { startWasmModule } from "./runner.ts";

/** Options of `runWasmFile`. */
export interface WasmFileOptions {
  /** Host diagnostics on stderr (why a load failed, bad guest pointers). */
  verbose?: boolean;
}

/** Reads a module file; a missing or unreadable file is a `WasmError` naming it. */
export function readWasmFile(path: string): Uint8Array {
  try {
    return new Uint8Array(readFileSync(path));
  } catch (e) {
    throw new WasmError(`cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? e}`);
  }
}

/**
 * `ecli run prog.wasm [args…]`: the guest's argv is the module's name then `args`, its
 * stdout/stderr are ours, SIGINT/SIGTERM stop it (its objects are released), and its exit
 * status is returned. Ctrl-Z stops the whole process as for any program. A trap or a bad
 * module throws `WasmError`.
 */
export async function runWasmFile(
  path: string,
  args: string[],
  opts: WasmFileOptions = {},
): Promise<number> {
  return await runWasmBytes(readWasmFile(path), path, args, opts);
}

/** `runWasmFile` for a module already read (from a file, a registry, a tool): `path` names it. */
export async function runWasmBytes(
  bytes: Uint8Array,
  path: string,
  args: string[],
  opts: WasmFileOptions = {},
): Promise<number> {
  let run;
  try {
    run = startWasmModule(bytes, {
      args: [basename(path), ...args],
      verbose: opts.verbose,
      onOutput: (stream, data) =>
        (stream === "stdout" ? process.stdout : process.stderr).write(data),
    });
  } catch (e) {
    if (e instanceof WasmError) throw new WasmError(`${path}: ${e.message}`);
    throw e;
  }
  const stop = () => run.stop();
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
  try {
    const r = await run.done;
    if (r.error && !r.stopped) throw new WasmError(`${path}: ${r.error}`);
    return r.code;
  } finally {
    process.off("SIGINT", stop);
    process.off("SIGTERM", stop);
  }
}
