/**
 * wasm-bpf: WebAssembly modules that carry a BPF object and drive it through upstream's
 * `wasm_bpf` host ABI (load the object, attach programs by name, map fds and operations, poll
 * ring/perf buffers into a guest callback), with WASI preview1 for the rest. The guest runs
 * in a worker thread; every guest pointer is bounds-checked; every object it loaded is
 * released when it ends, however it ends.
 *
 * ```ts
 * import { startWasmModule } from "./lib/wasm/mod.ts";
 * const run = startWasmModule(bytes, { args: ["prog.wasm"], onLine: (s, l) => console.log(l) });
 * const { code, error } = await run.done;
 * ```
 * @module
 */
export * from "./errors.ts";
export * from "./detect.ts";
export * from "./guest_memory.ts";
export * from "./bpf_host.ts";
export * from "./wasi.ts";
export * from "./guest.ts";
export * from "./module_info.ts";
export * from "./runner.ts";
export * from "./c_array.ts";
export * from "./run_file.ts";
import "./program.ts";
