/**
 * The only door to native code: libbpf and libc behind one runtime-neutral interface, with the
 * backend picked here (Deno now; Bun gets its own backend later).
 *
 * ```ts
 * import { ffi } from "./ffi/mod.ts";
 * const { libbpf, libc } = ffi();
 * ```
 * @module
 */
import { createDenoBackend } from "./deno.ts";
import type { FfiBackend } from "./types.ts";

export * from "./types.ts";
export * from "./libbpf.ts";
export * from "./libc.ts";
export * from "./structs.ts";

/** The backend for this runtime, with the libbpf and libc tables bound. */
export type Ffi = FfiBackend;

let backend: Ffi | undefined;

/** The name of the JS runtime we run on. */
export function runtimeName(): "deno" | "bun" | "unknown" {
  const g = globalThis as { Deno?: unknown; Bun?: unknown };
  if (g.Bun !== undefined) return "bun";
  if (g.Deno !== undefined) return "deno";
  return "unknown";
}

/**
 * The FFI backend for the current runtime, created on first use (this opens libbpf.so.1 and
 * libc.so.6). Throws a one-line error when the runtime has no backend or libbpf is missing.
 */
export function ffi(): Ffi {
  if (backend) return backend;
  const runtime = runtimeName();
  if (runtime === "deno") backend = createDenoBackend();
  else throw new Error(`no FFI backend for this runtime (${runtime}); run with deno`);
  return backend;
}
