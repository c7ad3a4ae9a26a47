/**
 * One guest run, synchronous from `_start` to its end: instantiate with `wasm_bpf` and WASI,
 * run, and release every BPF object it left loaded whatever way it ended.
 */
import { type GuestAccess, WasmBpfHost } from "./bpf_host.ts";
import { GuestExit, GuestStopped } from "./errors.ts";
import { GuestMemory } from "./guest_memory.ts";
import { guestWasi, type OutputSink } from "./wasi.ts";

/** Values of the shared control word. */
export const Control = { RUN: 0, PAUSE: 1, STOP: 2 } as const;

/** What a worker is given to run. */
export interface GuestJob {
  /** The module's bytes. */
  bytes: Uint8Array;
  /** argv, argv[0] included. */
  args: string[];
  /** Environment for the guest. */
  env?: Record<string, string>;
  /** An `Int32Array` word (see `Control`) the parent writes and notifies. */
  control: SharedArrayBuffer;
  /** Host diagnostics (libbpf's reasons, faults) go to stderr too. */
  verbose?: boolean;
}

/** How a guest ended. */
export interface GuestResult {
  /** Its exit status (`proc_exit`, 0 when `_start` returned or it was stopped). */
  code: number;
  /** Why it could not run or finish (a trap, a bad export): one line. */
  error?: string;
  /** Whether the host stopped it. */
  stopped?: boolean;
}

const encoder = new TextEncoder();

/**
 * Runs a guest to its end on this thread; every object it loaded is released after. `track`
 * hears what each loaded object holds (see `GuestAccess.track`).
 */
export async function runGuest(
  job: GuestJob,
  output: OutputSink,
  track?: GuestAccess["track"],
): Promise<GuestResult> {
  const control = new Int32Array(job.control);
  const checkpoint = (waitMs = 0) => {
    for (;;) {
      const s = Atomics.load(control, 0);
      if (s === Control.STOP) throw new GuestStopped();
      if (s !== Control.PAUSE) break;
      Atomics.wait(control, 0, Control.PAUSE);
    }
    if (waitMs > 0) Atomics.wait(control, 0, Control.RUN, waitMs);
  };
  const log = (line: string) => {
    if (job.verbose) output(2, encoder.encode(line + "\n"));
  };
  const host = new WasmBpfHost();
  const wasi = guestWasi({ args: job.args, env: job.env, output, checkpoint });
  try {
    const module = new WebAssembly.Module(job.bytes as BufferSource);
    const instance = new WebAssembly.Instance(module, {
      wasi_snapshot_preview1: wasi.imports,
      wasm_bpf: host.imports(),
    } as WebAssembly.Imports);
    const { memory, __indirect_function_table: table, _start: start } = instance.exports;
    if (!(memory instanceof WebAssembly.Memory)) return { code: 1, error: "exports no memory" };
    if (typeof start !== "function") return { code: 1, error: "exports no _start function" };
    const mem = new GuestMemory(memory);
    wasi.bind(instance, mem);
    host.bind({
      memory: mem,
      table: table instanceof WebAssembly.Table ? table : undefined,
      checkpoint,
      log,
      track,
    });
    (start as () => void)();
    return { code: 0 };
  } catch (e) {
    if (e instanceof GuestExit) return { code: e.code };
    if (e instanceof GuestStopped) return { code: 0, stopped: true };
    if (e instanceof WebAssembly.RuntimeError || e instanceof RangeError) {
      return {
        code: 1,
        error: `guest trapped: ${(e as Error).message.replace(/ \(evaluating '.*'\)$/, "")}`,
      };
    }
    if (e instanceof WebAssembly.LinkError || e instanceof WebAssembly.CompileError) {
      return { code: 1, error: (e as Error).message };
    }
    return { code: 1, error: `host error: ${(e as Error).message}` };
  } finally {
    await host.close();
  }
}
