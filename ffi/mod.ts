/**
 * The only door to native code: libbpf and libc behind one runtime-neutral interface, with the
 * backend picked here, once: `ffi/deno.ts` under Deno, `ffi/bun.ts` under Bun. Importing a
 * backend runs nothing runtime-specific; only its `create…` function touches `Deno.*` or
 * `bun:ffi` (which `bun.ts` requires at that moment, so Deno never loads it). Both stay static
 * imports, without top-level await, so `bun build --compile` orders the module graph correctly.
 *
 * ```ts
 * import { ffi } from "./ffi/mod.ts";
 * const { libbpf, libc } = ffi();
 * ```
 * @module
 */
import { createBunBackend } from "./bun.ts";
import { createDenoBackend } from "./deno.ts";
import type { FfiBackend } from "./types.ts";

export * from "./types.ts";
export * from "./libbpf.ts";
export * from "./libc.ts";
export * from "./library.ts";
export * from "./structs.ts";

/** The backend for this runtime, with the libbpf and libc tables bound. */
export type Ffi = FfiBackend;

/** The name of the JS runtime we run on. */
export function runtimeName(): "deno" | "bun" | "unknown" {
  const g = globalThis as { Deno?: unknown; Bun?: unknown };
  if (g.Bun !== undefined) return "bun";
  if (g.Deno !== undefined) return "deno";
  return "unknown";
}

/** The backend constructor of each runtime we support. */
const BACKENDS: Record<string, () => Ffi> = { deno: createDenoBackend, bun: createBunBackend };

let backend: Ffi | undefined;

/**
 * The FFI backend for the current runtime, created on first use (this opens libbpf.so.1 and
 * libc.so.6). Throws a one-line error when the runtime has no backend or libbpf is missing.
 */
export function ffi(): Ffi {
  if (backend) return backend;
  const runtime = runtimeName();
  const create = BACKENDS[runtime];
  if (!create) {
    throw new Error(`no FFI backend for this runtime (${runtime}); run with deno or bun`);
  }
  backend = create();
  return backend;
}
