/**
 * The runtime-neutral FFI interface: symbol tables are written once in a small native-type
 * vocabulary, each runtime backend (Deno, Bun) binds them, and everything above `ffi/`
 * sees only the typed functions and pointer helpers declared here.
 * @module
 */
import type { Libbpf } from "./libbpf.ts";
import type { Libc } from "./libc.ts";

/**
 * An opaque native pointer; `null` is NULL. Deno uses pointer objects, Bun plain numbers, so
 * code outside a backend never looks inside: it passes pointers back or asks `Memory`.
 */
export type Pointer = { readonly [pointerBrand]: never } | null;
declare const pointerBrand: unique symbol;

/** Native integer types that fit a JS number. */
export type NativeSmallInt = "i8" | "u8" | "i16" | "u16" | "i32" | "u32";
/** Native 64-bit integer types (results come back as bigint). */
export type NativeBigInt = "i64" | "u64" | "isize" | "usize";
/** Every native type a symbol table may use. */
export type NativeType = NativeSmallInt | NativeBigInt | "pointer" | "buffer" | "function";
/** Native result types. */
export type NativeResult = NativeType | "void";

/** One foreign function, as a backend binds it. */
export interface SymbolSpec {
  /** The C symbol when the table key is an alias (`perf_event_open` → `syscall`). */
  readonly name?: string;
  /** Parameter types in order. */
  readonly parameters: readonly NativeType[];
  /** Result type. */
  readonly result: NativeResult;
  /**
   * Run the call on a worker thread and return a Promise (Deno only; a backend without it
   * leaves the symbol `undefined`). Never for functions that can call back into JS.
   */
  readonly nonblocking?: boolean;
  /** libbpf functions that may log through libbpf's print callback (see `Libbpf`). */
  readonly prints?: boolean;
}

/** A table of foreign functions. */
export type SymbolTable = Readonly<Record<string, SymbolSpec>>;

type Param<T extends NativeType> = T extends NativeSmallInt ? number
  : T extends NativeBigInt ? number | bigint
  : T extends "buffer" ? ArrayBufferView | null
  : Pointer;

type Result<T extends NativeResult> = T extends "void" ? void
  : T extends NativeSmallInt ? number
  : T extends NativeBigInt ? bigint
  : Pointer;

type Params<T extends readonly NativeType[]> = { -readonly [K in keyof T]: Param<T[K]> };

/** The JS function type of one symbol spec. */
export type ForeignFn<S extends SymbolSpec> = (
  ...args: Params<S["parameters"]>
) => S["nonblocking"] extends true ? Promise<Result<S["result"]>> : Result<S["result"]>;

/** The bound functions of a symbol table. */
export type Bound<T extends SymbolTable> = { readonly [K in keyof T]: ForeignFn<T[K]> };

/** Raw access to foreign memory and pointers. */
export interface Memory {
  /** Whether `p` is NULL. */
  isNull(p: Pointer): boolean;
  /** The address of `p` (0n for NULL). */
  address(p: Pointer): bigint;
  /** A pointer to `address` (NULL for 0). */
  pointer(address: bigint): Pointer;
  /** The address of a buffer's first byte; the buffer must stay referenced while it is used. */
  addressOf(buffer: ArrayBufferView): bigint;
  /**
   * An ArrayBuffer over foreign memory, not a copy. It does not own the memory: it dangles
   * (and touching it crashes) once the memory is unmapped or freed.
   */
  view(p: Pointer, byteLength: number, offset?: number): ArrayBuffer;
  /** Copies `byteLength` bytes at `p` into a new Uint8Array. */
  copy(p: Pointer, byteLength: number, offset?: number): Uint8Array;
  /** Reads the NUL-terminated UTF-8 string at `p` ("" for NULL). */
  cString(p: Pointer): string;
}

/** One line libbpf printed, with its level (`LIBBPF_WARN` 0, `INFO` 1, `DEBUG` 2). */
export type LibbpfMessageSink = (level: number, message: string) => void;

/** The libbpf a backend loaded. */
export interface LibbpfInfo {
  /** `1.1.2` (the patch level only when the file name tells it), or `1.1`. */
  readonly version: string;
  /** `system`, `embedded` (the copy inside the executable), or `LIBBPF_PATH`. */
  readonly source: string;
  /** What was dlopen'd. */
  readonly path: string;
}

/** What a runtime backend provides. */
export interface FfiBackend {
  /** The runtime name (`deno`, `bun`). */
  readonly runtime: string;
  /** Which libbpf is in use (see `ffi/library.ts`). */
  readonly libbpfInfo: LibbpfInfo;
  /** libbpf functions. Those marked `prints` run with the print callback installed. */
  readonly libbpf: Libbpf;
  /** libc functions; nonblocking ones are `undefined` where the runtime lacks them. */
  readonly libc: Libc;
  /** Pointer and foreign-memory helpers. */
  readonly memory: Memory;
  /**
   * Set when `Atomics.load` on 8/16/32-bit views of read-only mappings must be avoided (Bun
   * 1.4's JIT turns it into a locked instruction that faults there). Readers then use plain
   * loads after an atomic 64-bit load of the producer position, which x86-64 keeps in order.
   */
  readonly plainLoadsOnReadOnlyMemory?: boolean;
  /**
   * A young-generation collection, where the runtime's own heuristics let the young heap grow
   * far too much during a long synchronous drain (Bun/JSC: a 1 M-record drain grew the heap by
   * ~230 MB and spent half its time faulting in fresh pages). Readers call it every
   * `YOUNG_GC_EVERY` records; undefined where the runtime needs no help (V8's scavenger).
   */
  readonly collectYoung?: () => void;
  /** The calling thread's `errno`; read it right after the failing call. */
  errno(): number;
  /**
   * Where libbpf's messages go from now on, for calls made from this JS thread; `null` drops
   * them. libbpf calls the sink synchronously, inside the libbpf call that logs.
   */
  setLibbpfSink(sink: LibbpfMessageSink | null): void;
}
