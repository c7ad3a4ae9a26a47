import { HandlerError } from "./errors.ts";
import type { HandlerObject } from "./module.ts";
import { userStack } from "./stack.ts";
import type { HandlerContext } from "./types.ts";

/** What happens when a handler throws. */
export type OnError = "stop" | "continue";

/** Options of a `HandlerDispatcher`. */
export interface DispatchOptions {
  /** `stop` (default): the run ends with the error; `continue`: it is logged, events go on. */
  onError?: OnError;
  /** Events held while an async handler awaits; more are dropped and counted (default 10000). */
  queueLimit?: number;
  /** Prints a value the handler emitted or returned. */
  emit(value: unknown): void;
  /** Ends the run (from `ctx.stop()`, or a handler error with `onError: "stop"`). */
  stop(error?: HandlerError): void;
  /** Diagnostics. */
  log(line: string): void;
}

type Hook = "start" | "event" | "view" | "batch" | "sample" | "stop";
interface Job {
  hook: Hook;
  map: string;
  arg: unknown;
}

const isThenable = (v: unknown): v is PromiseLike<unknown> =>
  v !== null && (typeof v === "object" || typeof v === "function") &&
  typeof (v as { then?: unknown }).then === "function";

/**
 * Calls a user's handler hooks in order, one at a time. Synchronous handlers run inline (no
 * allocation beyond the event); while an async handler awaits, further events wait in a
 * bounded queue, and events beyond the bound are dropped and counted, so memory stays bounded
 * under any event rate.
 */
export class HandlerDispatcher {
  /** Events dropped because the queue was full. */
  dropped = 0;
  /** Hook calls completed. */
  handled = 0;
  #queue: Job[] = [];
  #busy = false;
  #idle: (() => void)[] = [];
  #contexts = new Map<string, HandlerContext<unknown, unknown>>();
  #failed = false;
  readonly #limit: number;

  /** Wraps `handler`; `context(map)` gives the `ctx` for events of `map`. */
  constructor(
    readonly handler: HandlerObject,
    readonly context: (map: string) => HandlerContext<unknown, unknown>,
    readonly opts: DispatchOptions,
  ) {
    this.#limit = opts.queueLimit ?? 10_000;
  }

  /** Whether there is an `event` hook (else ring/perf events are not decoded at all). */
  get wantsEvents(): boolean {
    return !!this.handler.event;
  }

  /** Which zero-copy hook the handler has, if any (`batch` wins over `view`). */
  get transientHook(): "view" | "batch" | undefined {
    return this.handler.batch ? "batch" : this.handler.view ? "view" : undefined;
  }

  /**
   * Calls the `view` or `batch` hook with `arg`, which is valid only during the call, so it is
   * never queued: while an async hook is still awaiting, it is dropped and counted instead.
   * Returns whether the hook ran.
   */
  transient(hook: "view" | "batch", map: string, arg: unknown, count: number): boolean {
    const fn = this.handler[hook] as ((a: unknown, c: unknown) => unknown) | undefined;
    if (this.#failed || !fn) return false;
    if (this.#busy) {
      this.dropped += count;
      return false;
    }
    let result: unknown;
    try {
      result = fn.call(this.handler, arg, this.#ctx(map));
    } catch (e) {
      this.#fail({ hook, map, arg }, e);
      return true;
    }
    if (result === undefined) this.handled++;
    else if (isThenable(result)) {
      this.#busy = true;
      void this.#drainAfter(
        Promise.resolve(result).then(
          (v) => this.#done(v),
          (e) => this.#fail({ hook, map, arg }, e),
        ),
      );
    } else this.#done(result);
    return true;
  }

  /** Whether there is a `sample` hook. */
  get wantsSamples(): boolean {
    return !!this.handler.sample;
  }

  /** Delivers one decoded event from `map`. */
  event(map: string, value: unknown): void {
    const fn = this.handler.event;
    if (this.#busy || this.#failed || !fn) {
      this.#push({ hook: "event", map, arg: value });
      return;
    }
    // The hot path: a synchronous handler is called inline, no job object per event.
    let result: unknown;
    try {
      result = fn.call(this.handler, value, this.#ctx(map));
    } catch (e) {
      this.#fail({ hook: "event", map, arg: value }, e);
      return;
    }
    if (result === undefined) {
      this.handled++;
    } else if (isThenable(result)) {
      this.#busy = true;
      void this.#drainAfter(
        Promise.resolve(result).then(
          (v) => this.#done(v),
          (e) => this.#fail({ hook: "event", map, arg: value }, e),
        ),
      );
    } else this.#done(result);
  }

  /** Delivers one sampling round of `map`. */
  sample(map: string, entries: unknown[]): void {
    this.#push({ hook: "sample", map, arg: entries });
  }

  /** Runs `start` (awaited). */
  async start(): Promise<void> {
    this.#push({ hook: "start", map: "", arg: undefined });
    await this.idle();
  }

  /** Lets queued events finish, then runs `stop` (awaited). */
  async stop(): Promise<void> {
    await this.idle();
    this.#push({ hook: "stop", map: "", arg: undefined });
    await this.idle();
  }

  /** Resolves when no hook is running and the queue is empty. */
  idle(): Promise<void> {
    if (!this.#busy && !this.#queue.length) return Promise.resolve();
    return new Promise((r) => this.#idle.push(r));
  }

  #lastMap?: string;
  #lastCtx?: HandlerContext<unknown, unknown>;

  #ctx(map: string): HandlerContext<unknown, unknown> {
    // Events come in runs from one map: remember the last context.
    if (map === this.#lastMap) return this.#lastCtx!;
    let c = this.#contexts.get(map);
    if (!c) this.#contexts.set(map, c = this.context(map));
    this.#lastMap = map;
    this.#lastCtx = c;
    return c;
  }

  #push(job: Job): void {
    if (this.#failed && job.hook !== "stop") return;
    if (this.#busy) {
      if (this.#queue.length >= this.#limit && job.hook !== "stop") {
        this.dropped++;
        return;
      }
      this.#queue.push(job);
      return;
    }
    const pending = this.#call(job);
    if (pending) void this.#drainAfter(pending);
  }

  /** Calls a hook; returns a promise when it is async (the dispatcher is then busy). */
  #call(job: Job): Promise<void> | undefined {
    const fn = this.handler[job.hook] as ((...a: unknown[]) => unknown) | undefined;
    if (!fn) return undefined;
    const ctx = this.#ctx(job.map);
    let result: unknown;
    try {
      result = job.hook === "start" || job.hook === "stop"
        ? fn.call(this.handler, ctx)
        : fn.call(this.handler, job.arg, ctx);
    } catch (e) {
      this.#fail(job, e);
      return undefined;
    }
    if (isThenable(result)) {
      this.#busy = true;
      return Promise.resolve(result).then(
        (v) => this.#done(v),
        (e) => this.#fail(job, e),
      );
    }
    this.#done(result);
    return undefined;
  }

  #done(value: unknown): void {
    this.handled++;
    if (value !== undefined) this.opts.emit(value);
  }

  async #drainAfter(pending: Promise<void>): Promise<void> {
    await pending;
    while (this.#queue.length) {
      const next = this.#call(this.#queue.shift()!);
      if (next) await next;
    }
    this.#busy = false;
    for (const r of this.#idle.splice(0)) r();
  }

  #fail(job: Job, e: unknown): void {
    const stack = userStack(e);
    const err = new HandlerError(
      `handler ${job.hook}() threw: ${e instanceof Error ? e.message : String(e)}`,
      stack,
    );
    if ((this.opts.onError ?? "stop") === "continue") {
      this.opts.log(`ecli: ${err.message} (continuing)\n${stack}`);
      return;
    }
    if (this.#failed) return;
    this.#failed = true;
    this.#queue = [];
    this.opts.stop(err);
  }
}
