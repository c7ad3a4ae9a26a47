/**
 * The Bun backend: binds the symbol tables with `bun:ffi`, wraps pointers (plain numbers in
 * Bun) and foreign memory, and owns libbpf's process-global print callback.
 *
 * `bun:ffi` is required when the backend is created, never at import, so Deno (which type-checks
 * this file but never runs it) needs neither the module nor its types: the little of its API
 * used here is declared below. Differences from the Deno backend:
 * - no non-blocking calls: `nonblocking` symbols stay `undefined` (readers poll on a timer);
 * - `dlopen` has no `name:` alias, so aliased symbols get a library handle of their own;
 * - `Atomics.load` on 32-bit views of read-only mappings crashes Bun's JIT
 *   (`plainLoadsOnReadOnlyMemory`).
 * @module
 */
import { LIBBPF_BACKEND_SYMBOLS, LIBBPF_SYMBOLS } from "./libbpf.ts";
import {
  type Libc,
  LIBC_BACKEND_SYMBOLS,
  LIBC_LOADER_SYMBOLS,
  LIBC_SYMBOLS,
  type LibcLoader,
} from "./libc.ts";
import { libbpfVersion, openLibbpf } from "./library.ts";
import { bindLibbpf, type MutexLibc, processMutexAddress } from "./libbpf_calls.ts";
import type {
  FfiBackend,
  LibbpfMessageSink,
  Memory,
  NativeResult,
  NativeType,
  Pointer,
  SymbolSpec,
  SymbolTable,
} from "./types.ts";

/** A native pointer as Bun passes it: an address number, or null for NULL. */
type BunPtr = number | null;

/** One function declaration for `dlopen` (Bun's vocabulary). */
interface BunFunctionSpec {
  args: string[];
  returns: string;
}

/** A native function pointer that calls back into JS. */
interface BunCallback {
  readonly ptr: BunPtr;
  close(): void;
}

/** The part of `bun:ffi` this backend uses. */
interface BunFfi {
  dlopen(
    path: string,
    symbols: Record<string, BunFunctionSpec>,
  ): { symbols: Record<string, (...args: unknown[]) => unknown>; close(): void };
  JSCallback: new (
    fn: (...args: never[]) => unknown,
    definition: BunFunctionSpec,
  ) => BunCallback;
  ptr(view: ArrayBufferView, byteOffset?: number): number;
  toArrayBuffer(p: number, byteOffset?: number, byteLength?: number): ArrayBuffer;
  CString: new (p: number, byteOffset?: number, byteLength?: number) => { toString(): string };
}

/**
 * `bun:ffi`, loaded synchronously on first use with Bun's `import.meta.require`: importing this
 * file loads nothing (Deno type-checks it and never calls it), there is no top-level await
 * (which `bun build --compile` mis-orders in our module graph), and Deno's module graph never
 * sees the `bun:` specifier.
 */
function loadBunFfi(): BunFfi {
  return bunRequire("bun:ffi") as BunFfi;
}

/** A `bun:` built-in module, loaded the way `loadBunFfi` explains. */
function bunRequire(id: string): unknown {
  const require = (import.meta as { require?: (id: string) => unknown }).require;
  if (typeof require !== "function") throw new Error(`${id} is only available under Bun`);
  return require(id);
}

const LIBC_NAME = "libc.so.6";

const toBun = (p: Pointer) => p as unknown as BunPtr;
const fromBun = (p: BunPtr) => p as unknown as Pointer;

/**
 * Neutral native types in Bun's names. `buffer` becomes `ptr`, which takes a TypedArray or
 * null (Bun's own `buffer` rejects null); 64-bit sizes are spelled as the 64-bit integers they
 * are on the LP64 ABIs we support.
 */
const BUN_TYPES: Record<NativeType | NativeResult, string> = {
  i8: "i8",
  u8: "u8",
  i16: "i16",
  u16: "u16",
  i32: "i32",
  u32: "u32",
  i64: "i64",
  u64: "u64",
  isize: "i64",
  usize: "u64",
  pointer: "ptr",
  buffer: "ptr",
  function: "ptr",
  void: "void",
};

/** The bound functions of a table, by table key; `nonblocking` symbols are left out. */
type BoundFns = Record<string, (...args: unknown[]) => unknown>;

/**
 * Binds `table` from the library at `path`. Keys that alias a C name already bound get a
 * handle of their own (`dlopen` keys symbols by C name and has no alias field).
 */
function open(bun: BunFfi, path: string, table: SymbolTable, what: string): BoundFns {
  const rounds: Map<string, [string, SymbolSpec]>[] = [];
  for (const [key, spec] of Object.entries(table) as [string, SymbolSpec][]) {
    if (spec.nonblocking) continue;
    const name = spec.name ?? key;
    let round = rounds.find((r) => !r.has(name));
    if (!round) rounds.push(round = new Map());
    round.set(name, [key, spec]);
  }
  const out: BoundFns = {};
  for (const round of rounds) {
    const decl: Record<string, BunFunctionSpec> = {};
    for (const [name, [, spec]] of round) {
      decl[name] = {
        args: spec.parameters.map((t) => BUN_TYPES[t]),
        returns: BUN_TYPES[spec.result],
      };
    }
    let symbols: Record<string, (...args: unknown[]) => unknown>;
    try {
      symbols = bun.dlopen(path, decl).symbols;
    } catch (e) {
      throw new Error(`cannot load ${what} (${path}): ${(e as Error).message}`);
    }
    for (const [name, [key]] of round) out[key] = symbols[name];
  }
  return out;
}

/** Pointer and foreign-memory helpers over `bun:ffi`. */
const bunMemory = (bun: BunFfi): Memory => ({
  isNull: (p) => p === null,
  address: (p) => (p === null ? 0n : BigInt(toBun(p)!)),
  pointer: (a) => fromBun(a === 0n ? null : Number(a)),
  addressOf: (b) => BigInt(bun.ptr(b)),
  view(p, byteLength, offset = 0) {
    if (p === null) throw new Error("view of a NULL pointer");
    // Without a length toArrayBuffer would measure a C string: never ask it for 0 bytes.
    if (byteLength === 0) return new ArrayBuffer(0);
    return bun.toArrayBuffer(toBun(p)!, offset, byteLength);
  },
  copy(p, byteLength, offset = 0) {
    if (p === null) throw new Error("copy from a NULL pointer");
    if (byteLength === 0) return new Uint8Array(0);
    return new Uint8Array(bun.toArrayBuffer(toBun(p)!, offset, byteLength)).slice();
  },
  cString: (p) => (p === null ? "" : new bun.CString(toBun(p)!).toString()),
});

/** The backend-only libc functions, typed for this file. */
interface BackendLibc {
  __errno_location(): BunPtr;
  vasprintf(out: BigUint64Array, fmt: BunPtr, ap: BunPtr): number;
  free(p: BunPtr): void;
  getenv(name: Uint8Array): BunPtr;
  setenv(name: Uint8Array, value: Uint8Array, overwrite: number): number;
  pthread_mutex_lock(m: BunPtr): number;
  pthread_mutex_unlock(m: BunPtr): number;
}

/** Creates the Bun backend (call once; `ffi/mod.ts` caches it). */
export function createBunBackend(): FfiBackend {
  const bun = loadBunFfi();
  const memory = bunMemory(bun);
  const libc = open(bun, LIBC_NAME, LIBC_SYMBOLS, "libc") as unknown as Libc;
  const c = open(bun, LIBC_NAME, LIBC_BACKEND_SYMBOLS, "libc") as unknown as BackendLibc;
  const loader = open(bun, LIBC_NAME, LIBC_LOADER_SYMBOLS, "libc") as unknown as LibcLoader;
  // The system libbpf, else the embedded copy (ffi/library.ts).
  const { lib: [lib, hook], origin } = openLibbpf({ libc: loader, memory }, (path) =>
    [
      open(bun, path, LIBBPF_SYMBOLS, "libbpf"),
      open(bun, path, LIBBPF_BACKEND_SYMBOLS, "libbpf") as unknown as {
        libbpf_set_print(fn: BunPtr): BunPtr;
        libbpf_major_version(): number;
        libbpf_minor_version(): number;
      },
    ] as const);
  const libbpfInfo = {
    version: libbpfVersion(
      hook.libbpf_major_version(),
      hook.libbpf_minor_version(),
      origin.fileName,
    ),
    source: origin.source,
    path: origin.path,
  };

  // errno is thread-local and this JS thread never changes OS thread, so the cell is stable.
  const errnoCell = new Int32Array(bun.toArrayBuffer(c.__errno_location()!, 0, 4));

  let sink: LibbpfMessageSink | null = null;
  const out = new BigUint64Array(1);
  const print = new bun.JSCallback(
    (level: number, fmt: BunPtr, ap: BunPtr) => {
      // libbpf hands a printf format and a va_list; vasprintf formats it in C.
      if (c.vasprintf(out, fmt, ap) < 0) return 0;
      const p = Number(out[0]);
      const text = new bun.CString(p).toString();
      c.free(p);
      try {
        sink?.(level, text);
      } catch {
        // A throwing sink must not unwind through libbpf's C frames.
      }
      return 0;
    },
    { args: ["i32", "ptr", "ptr"], returns: "i32" },
  );
  // The callback lives as long as the process: libbpf may hold it between our calls.

  const mutex = Number(processMutexAddress(c as unknown as MutexLibc, libc, memory));
  const libbpf = bindLibbpf((name) => lib[name] as (...a: unknown[]) => unknown, {
    lock: () => c.pthread_mutex_lock(mutex),
    unlock: () => c.pthread_mutex_unlock(mutex),
    install: () => hook.libbpf_set_print(print.ptr),
    restore: (previous) => hook.libbpf_set_print(previous as BunPtr),
    errno: errnoCell,
  });

  return {
    runtime: "bun",
    libbpfInfo,
    plainLoadsOnReadOnlyMemory: true,
    collectYoung: (bunRequire("bun:jsc") as { edenGC: () => void }).edenGC,
    libbpf,
    libc,
    memory,
    errno: () => errnoCell[0],
    setLibbpfSink(s) {
      sink = s;
    },
  };
}
