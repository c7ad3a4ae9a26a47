/**
 * The Deno backend: binds the symbol tables with `Deno.dlopen`, wraps pointers and foreign
 * memory, and owns libbpf's process-global print callback.
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
  Pointer,
  SymbolSpec,
  SymbolTable,
} from "./types.ts";

const LIBC_NAME = "libc.so.6";

type DenoPtr = Deno.PointerValue;
const toDeno = (p: Pointer) => p as unknown as DenoPtr;
const fromDeno = (p: DenoPtr) => p as unknown as Pointer;

/** Translates a neutral symbol table to `Deno.dlopen`'s (the vocabularies coincide). */
function denoSymbols(table: SymbolTable): Deno.ForeignLibraryInterface {
  const out: Record<string, Deno.ForeignFunction> = {};
  for (const [key, s] of Object.entries(table) as [string, SymbolSpec][]) {
    out[key] = {
      name: s.name ?? key,
      parameters: s.parameters as Deno.NativeType[],
      result: s.result as Deno.NativeResultType,
      nonblocking: s.nonblocking ?? false,
    };
  }
  return out;
}

function open(path: string, table: SymbolTable, what: string) {
  try {
    return Deno.dlopen(path, denoSymbols(table));
  } catch (e) {
    throw new Error(`cannot load ${what} (${path}): ${(e as Error).message}`);
  }
}

const memory: Memory = {
  isNull: (p) => p === null,
  address: (p) => (p === null ? 0n : Deno.UnsafePointer.value(toDeno(p))),
  pointer: (a) => fromDeno(Deno.UnsafePointer.create(a)),
  addressOf: (b) => Deno.UnsafePointer.value(Deno.UnsafePointer.of(b as Uint8Array)),
  view(p, byteLength, offset = 0) {
    if (p === null) throw new Error("view of a NULL pointer");
    return Deno.UnsafePointerView.getArrayBuffer(toDeno(p)!, byteLength, offset);
  },
  copy(p, byteLength, offset = 0) {
    if (p === null) throw new Error("copy from a NULL pointer");
    const out = new Uint8Array(byteLength);
    Deno.UnsafePointerView.copyInto(toDeno(p)!, out, offset);
    return out;
  },
  cString: (p) => (p === null ? "" : Deno.UnsafePointerView.getCString(toDeno(p)!)),
};

/** The backend-only libc functions, typed for this file. */
interface BackendLibc {
  __errno_location(): DenoPtr;
  vasprintf(out: BigUint64Array, fmt: DenoPtr, ap: DenoPtr): number;
  free(p: DenoPtr): void;
  getenv(name: Uint8Array): DenoPtr;
  setenv(name: Uint8Array, value: Uint8Array, overwrite: number): number;
  pthread_mutex_lock(m: DenoPtr): number;
  pthread_mutex_unlock(m: DenoPtr): number;
}

/** Creates the Deno backend (call once; `ffi/mod.ts` caches it). */
export function createDenoBackend(): FfiBackend {
  const libc = open(LIBC_NAME, LIBC_SYMBOLS, "libc").symbols as unknown as Libc;
  const c = open(LIBC_NAME, LIBC_BACKEND_SYMBOLS, "libc").symbols as unknown as BackendLibc;
  const loader = open(LIBC_NAME, LIBC_LOADER_SYMBOLS, "libc").symbols as unknown as LibcLoader;
  // The system libbpf, else the embedded copy (ffi/library.ts).
  const { lib: [lib, hook], origin } = openLibbpf({ libc: loader, memory }, (path) =>
    [
      open(path, LIBBPF_SYMBOLS, "libbpf"),
      open(path, LIBBPF_BACKEND_SYMBOLS, "libbpf").symbols as unknown as {
        libbpf_set_print(fn: DenoPtr): DenoPtr;
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

  const errnoPtr = c.__errno_location();
  const errnoCell = new Int32Array(Deno.UnsafePointerView.getArrayBuffer(errnoPtr!, 4));
  // errno is thread-local and this isolate always runs on one thread, so the cell is stable.

  let sink: LibbpfMessageSink | null = null;
  const out = new BigUint64Array(1);
  const print = new Deno.UnsafeCallback(
    { parameters: ["i32", "pointer", "pointer"], result: "i32" } as const,
    (level, fmt, ap) => {
      // libbpf hands a printf format and a va_list; vasprintf formats it in C.
      if (c.vasprintf(out, fmt, ap) < 0) return 0;
      const p = Deno.UnsafePointer.create(out[0]);
      const text = Deno.UnsafePointerView.getCString(p!);
      c.free(p);
      try {
        sink?.(level, text);
      } catch {
        // A throwing sink must not unwind through libbpf's C frames.
      }
      return 0;
    },
  );
  print.unref();

  const mutex = Deno.UnsafePointer.create(
    processMutexAddress(c as unknown as MutexLibc, libc, memory),
  );
  const libbpf = bindLibbpf(
    (name) => (lib.symbols as Record<string, (...a: unknown[]) => unknown>)[name],
    {
      lock: () => c.pthread_mutex_lock(mutex),
      unlock: () => c.pthread_mutex_unlock(mutex),
      install: () => hook.libbpf_set_print(print.pointer),
      restore: (previous) => hook.libbpf_set_print(previous as DenoPtr),
      errno: errnoCell,
    },
  );

  return {
    runtime: "deno",
    libbpfInfo,
    libbpf,
    libc,
    memory,
    errno: () => errnoCell[0],
    setLibbpfSink(s) {
      sink = s;
    },
  };
}
