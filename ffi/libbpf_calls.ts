/**
 * What both backends do around libbpf calls, written once: a process-wide mutex (Deno runs
 * `deno test --parallel` and Workers as threads of one process, and libbpf's print hook is
 * process-global), and the wrapper that installs our print hook around each libbpf call that
 * may log, keeping errno for the caller.
 * @module
 */
import process from "node:process";
import { type Libbpf, LIBBPF_SYMBOLS } from "./libbpf.ts";
import { type Libc, Mmap } from "./libc.ts";
import { cString } from "./structs.ts";
import type { Memory, Pointer, SymbolSpec } from "./types.ts";

/** The few libc calls the mutex needs, with backend pointers seen as `Pointer`. */
export interface MutexLibc {
  /** `getenv`. */
  getenv(name: Uint8Array): Pointer;
  /** `setenv`. */
  setenv(name: Uint8Array, value: Uint8Array, overwrite: number): number;
}

/**
 * The address of the process-wide libbpf mutex. The first caller maps a zeroed page (a
 * default-initialised pthread mutex) and publishes its address with `setenv(…, overwrite=0)`,
 * which glibc makes atomic; the name carries the pid so an inherited environment in a child
 * process is never trusted.
 */
export function processMutexAddress(c: MutexLibc, libc: Libc, memory: Memory): bigint {
  const key = cString(`ECLI_TS_LIBBPF_MUTEX_${process.pid}`);
  const published = () => {
    const p = c.getenv(key);
    return memory.isNull(p) ? null : BigInt(memory.cString(p));
  };
  let addr = published();
  if (addr === null) {
    const rw = Mmap.PROT_READ | Mmap.PROT_WRITE;
    const page = libc.mmap(null, 4096, rw, Mmap.MAP_PRIVATE | Mmap.MAP_ANONYMOUS, -1, 0);
    const mine = memory.address(page);
    if (memory.isNull(page) || mine === Mmap.FAILED) {
      throw new Error("mmap of the libbpf mutex failed");
    }
    c.setenv(key, cString(String(mine)), 0);
    addr = published();
    if (addr !== mine) libc.munmap(page, 4096);
  }
  return addr!;
}

/** How a backend locks, installs its print callback, and where its errno lives. */
export interface PrintHook {
  /** Takes the process-wide mutex. */
  lock(): void;
  /** Releases it. */
  unlock(): void;
  /** Installs our print callback; returns the one it replaced. */
  install(): unknown;
  /** Puts back the callback `install` replaced. */
  restore(previous: unknown): void;
  /** This thread's errno. */
  errno: Int32Array;
}

/**
 * Binds libbpf's functions: those that may log run with our print hook installed and the
 * mutex held (reentrant calls go straight through), and errno survives the unlock for the
 * caller to read.
 */
export function bindLibbpf(
  raw: (name: string) => (...args: unknown[]) => unknown,
  hook: PrintHook,
): Libbpf {
  let depth = 0;
  const logged = <T>(call: () => T): T => {
    if (depth++ > 0) {
      try {
        return call();
      } finally {
        depth--;
      }
    }
    hook.lock();
    const previous = hook.install();
    let saved = 0;
    try {
      const r = call();
      saved = hook.errno[0];
      return r;
    } finally {
      hook.restore(previous);
      hook.unlock();
      depth--;
      hook.errno[0] = saved; // the caller reads errno next
    }
  };
  const libbpf: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(LIBBPF_SYMBOLS) as [string, SymbolSpec][]) {
    const fn = raw(name);
    libbpf[name] = spec.prints ? (...args: unknown[]) => logged(() => fn(...args)) : fn;
  }
  return libbpf as unknown as Libbpf;
}
