/**
 * The fuzz property: reading an input either succeeds or throws one of the reader's typed
 * errors with a one-line message, within a time bound. Shared by the driver and its campaign processes.
 * @module
 */
import type { FuzzReader } from "./readers.ts";

/** What the driver asks a worker to run. */
export interface FuzzJob {
  /** Reader name. */
  reader: string;
  /** Inputs to try. */
  runs: number;
  /** fast-check seed of chunk 0 (chunk k uses seed + k). */
  seed: number;
  /** The chunk to start from (after a hang, the driver goes on with the next one). */
  firstChunk: number;
  /** Inputs per chunk. */
  chunk: number;
  /** Replay only this counterexample path (with the failing chunk's seed). */
  path?: string;
  /** Longest time one input may take. */
  timeLimitMs: number;
  /** Report the first failing input without shrinking it. */
  noShrink: boolean;
}

/** One property violation, with what replays it. */
export interface FuzzFailure {
  /** The chunk's seed. */
  seed: number;
  /** fast-check's counterexample path. */
  path: string;
  /** What was wrong. */
  problem: string;
  /** The (shrunk) input, abbreviated. */
  input: string;
}

/** A reader's campaign result. */
export interface FuzzReport {
  /** Reader name. */
  reader: string;
  /** Inputs tried (shrinking steps included). */
  inputs: number;
  /** Inputs read without error. */
  accepted: number;
  /** Typed errors by class name. */
  errors: Record<string, number>;
  /** Property violations. */
  failures: FuzzFailure[];
  /** Slowest single input. */
  slowestMs: number;
  /** Largest resident set seen while reading. */
  peakRssMb: number;
}

/** A report with nothing counted yet. */
export function emptyReport(reader: string): FuzzReport {
  return { reader, inputs: 0, accepted: 0, errors: {}, failures: [], slowestMs: 0, peakRssMb: 0 };
}

/** Longest error message we accept as "one clear line" (two 256-character names and text). */
export const MAX_MESSAGE = 640;

/**
 * The property for one input: undefined when it holds, else what is wrong. A thrown value must
 * be one of the reader's error classes, its message a single non-empty line of at most
 * `MAX_MESSAGE` characters without `undefined`/`[object Object]` (which say nothing),
 * and the read must finish within `limitMs`.
 */
export function checkOutcome(
  reader: FuzzReader,
  error: unknown,
  ms: number,
  limitMs: number,
): string | undefined {
  if (ms > limitMs) return `took ${Math.round(ms)} ms (limit ${limitMs} ms)`;
  if (error === undefined) return undefined;
  if (!(error instanceof Error)) return `threw a non-Error: ${String(error).slice(0, 100)}`;
  const head = `${error.name}: ${error.message.split("\n")[0].slice(0, 160)}`;
  if (!reader.errors.some((cls) => error instanceof cls)) {
    const at = error.stack?.split("\n").find((l) => l.includes("/lib/"))?.trim() ?? "";
    return `untyped ${head} ${at}`;
  }
  if (!error.message) return `${error.name} with an empty message`;
  if (error.message.includes("\n")) return `message spans lines: ${head}`;
  if (error.message.length > MAX_MESSAGE) {
    return `message is ${error.message.length} characters: ${head}`;
  }
  // Quoted text is the input echoed back; outside it, these mean a value went missing.
  if (/\bundefined\b|\[object Object\]/.test(error.message.replace(/'[^']*'/g, ""))) {
    return `message says nothing: ${head}`;
  }
  return undefined;
}
