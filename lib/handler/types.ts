/**
 * The shapes a user's handler module sees. `ecc` writes the same shapes, specialised to one
 * package's types, into `<name>.d.ts`; keep the two in step.
 * @module
 */
import type { ShellResult } from "./shell.ts";

/** A BPF map seen from TypeScript: keys and values are encoded/decoded with the map's BTF. */
export interface MapHandle<K = unknown, V = unknown> {
  /** The map's name. */
  readonly name: string;
  /** The value at `key`, or undefined when there is none. */
  get(key: K): V | undefined;
  /** Creates or replaces the value at `key`. */
  set(key: K, value: V): void;
  /** Deletes `key`; returns whether it was there. */
  delete(key: K): boolean;
  /** The keys present now. */
  keys(): K[];
  /** The entries present now. */
  entries(): [K, V][];
  /** Iterates the entries present now. */
  [Symbol.iterator](): IterableIterator<[K, V]>;
}

/** One entry of a sampled map. */
export interface SampleEntry<K = unknown, V = unknown> {
  /** Decoded key. */
  key: K;
  /** Decoded value. */
  value: V;
}

/** What a handler can do besides receiving events. */
export interface HandlerContext<Args = Record<string, unknown>, Maps = Record<string, MapHandle>> {
  /** Name of the map the current event or sample came from. */
  readonly map: string;
  /** The program's flag values (variable name → decoded value). */
  readonly args: Args;
  /** Every map of the object, by name. */
  readonly maps: Maps;
  /** Prints `value` in the run's output format (table or JSON); strings print as lines. */
  emit(value: unknown): void;
  /** Ends the run (teardown follows). */
  stop(): void;
  /**
   * Runs a shell command, each interpolated value one quoted word:
   * `await ctx.$\`kill -STOP ${e.pid}\``. A failure is reported and returned, never thrown.
   */
  $(strings: TemplateStringsArray, ...values: unknown[]): Promise<ShellResult>;
}

/** A handler as a single function: called for every event; a returned value is emitted. */
export type EventFunction<E = unknown, C = HandlerContext> = (event: E, ctx: C) => unknown;

/** A handler as an object of optional hooks. */
export interface HandlerHooks<E = unknown, S = SampleEntry, C = HandlerContext> {
  /** Called once, after attach and before the first event. */
  start?(ctx: C): unknown;
  /** Called for every event of a ring or perf buffer; a returned value is emitted. */
  event?(event: E, ctx: C): unknown;
  /** Called with every sampling round of a sampled map; a returned value is emitted. */
  sample?(entries: S[], ctx: C): unknown;
  /** Called once when the run ends, before teardown. */
  stop?(ctx: C): unknown;
}

/** What a handler module's default export may be. */
export type Handler<E = unknown, S = SampleEntry, C = HandlerContext> =
  | EventFunction<E, C>
  | HandlerHooks<E, S, C>;
