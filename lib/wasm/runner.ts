/**
 * Running a wasm-bpf module from the host side: the guest runs in a worker (see
 * `guest_worker.ts`); this side forwards its output, and stops, pauses and resumes it.
 *
 * ```ts
 * const run = startWasmModule(bytes, {
 *   args: ["bootstrap.wasm"],
 *   onLine: (stream, line) => console.log(stream, line),
 * });
 * setTimeout(() => run.stop(), 5000);
 * const { code } = await run.done;
 * ```
 */
import { Control, type GuestResult } from "./guest.ts";
import { inspectWasmModule } from "./module_info.ts";
import { type ObjectRecord, releaseObjectRecord } from "../loader/mod.ts";

/** Options of `startWasmModule`. */
export interface WasmRunOptions {
  /** The guest's argv, argv[0] included (upstream's `wasm-bpf` CLI passes the module path). */
  args: string[];
  /** Environment variables for the guest (none by default). */
  env?: Record<string, string>;
  /** Raw stdout/stderr bytes as the guest writes them. */
  onOutput?: (stream: "stdout" | "stderr", bytes: Uint8Array) => void;
  /** Complete lines of stdout/stderr, without the newline (the rest is flushed at the end). */
  onLine?: (stream: "stdout" | "stderr", line: string) => void;
  /** Host diagnostics on the guest's stderr: why a load failed, bad pointers. */
  verbose?: boolean;
  /** How long `stop()` waits for the guest to reach a host call before ending its thread. */
  stopGraceMs?: number;
}

/** A guest that is running; `done` settles when it has ended and its objects are released. */
export interface WasmRun {
  /** How it ended. */
  readonly done: Promise<GuestResult>;
  /** Asks it to stop: it unwinds at its next host call (poll, print, sleep), or is ended. */
  stop(): void;
  /** Holds it at its next host call. */
  pause(): void;
  /** Lets a paused guest go on. */
  resume(): void;
}

/** Splits a byte stream into lines for `onLine`. */
class LineSplitter {
  #rest = "";
  #decoder = new TextDecoder();
  constructor(readonly emit: (line: string) => void) {}
  push(bytes: Uint8Array): void {
    const text = this.#rest + this.#decoder.decode(bytes, { stream: true });
    const lines = text.split("\n");
    this.#rest = lines.pop()!;
    for (const l of lines) this.emit(l);
  }
  flush(): void {
    if (this.#rest) this.emit(this.#rest);
    this.#rest = "";
  }
}

/**
 * Checks the module (throws `WasmError`: not Wasm, unknown imports, missing exports) and
 * starts it in a worker. The returned promise `done` never rejects: a trap or host failure is
 * `error` in the result, with `code` 1.
 */
export function startWasmModule(bytes: Uint8Array, opts: WasmRunOptions): WasmRun {
  inspectWasmModule(bytes);
  const control = new SharedArrayBuffer(4);
  const word = new Int32Array(control);
  const set = (v: number) => {
    Atomics.store(word, 0, v);
    Atomics.notify(word, 0);
  };
  const lines = {
    stdout: new LineSplitter((l) => opts.onLine?.("stdout", l)),
    stderr: new LineSplitter((l) => opts.onLine?.("stderr", l)),
  };
  const worker = new Worker(workerUrl(), {
    type: "module",
  });
  let finish!: (r: GuestResult) => void;
  const done = new Promise<GuestResult>((resolve) => finish = resolve);
  let ended = false;
  // What the guest holds, by handle: released here when its thread had to be ended.
  const held = new Map<bigint, ObjectRecord>();
  const end = (r: GuestResult) => {
    if (ended) return;
    ended = true;
    lines.stdout.flush();
    lines.stderr.flush();
    worker.terminate();
    for (const rec of held.values()) releaseObjectRecord(rec);
    held.clear();
    finish(r);
  };
  worker.onmessage = (e: MessageEvent) => {
    const m = e.data;
    if (m.t === "out") {
      const stream = m.fd === 1 ? "stdout" : "stderr";
      opts.onOutput?.(stream, m.bytes);
      if (opts.onLine) lines[stream].push(m.bytes);
    } else if (m.t === "track") {
      if (m.record) held.set(m.handle, m.record);
      else held.delete(m.handle);
    } else if (m.t === "done") end({ code: m.code, error: m.error, stopped: m.stopped });
  };
  worker.onerror = (e: ErrorEvent) => {
    e.preventDefault?.();
    end({ code: 1, error: `host error: ${e.message}` });
  };
  const copy = bytes.slice();
  worker.postMessage({
    bytes: copy,
    args: opts.args,
    env: opts.env,
    control,
    verbose: opts.verbose,
  });
  return {
    done,
    stop() {
      set(Control.STOP);
      const grace = opts.stopGraceMs ?? 2000;
      const timer = setTimeout(() =>
        end({
          code: 0,
          stopped: true,
          error: `the guest did not reach a host call within ${grace} ms; its thread was ` +
            "ended and its objects released",
        }), grace);
      done.finally(() => clearTimeout(timer));
    },
    pause: () => set(Control.PAUSE),
    resume: () => set(Control.RUN),
  };
}

/**
 * The worker module. In Bun's compiled executable every entrypoint sits under `/$bunfs/root/`
 * by its path in the repository (tools/build.ts adds it), not beside this bundled file.
 */
function workerUrl(): string {
  const here = new URL("./guest_worker.ts", import.meta.url);
  if (!here.pathname.startsWith("/$bunfs/")) return here.href;
  return "/$bunfs/root/lib/wasm/guest_worker.ts";
}
