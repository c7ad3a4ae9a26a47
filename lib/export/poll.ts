import { setImmediate } from "node:timers";
import type { EpollSet } from "./epoll.ts";

/** How a reader waits between drains. */
export interface PollOptions {
  /**
   * `epoll` (default): sleep in `epoll_wait` on a worker thread until the kernel signals data,
   * at most `timeoutMs`, then drain. `timer`: drain every `intervalMs`, no epoll at all. A
   * runtime without non-blocking FFI calls uses `timer`.
   */
  wait?: "epoll" | "timer";
  /** epoll: the longest wait before draining anyway, in ms (upstream's poll_timeout_ms). */
  timeoutMs?: number;
  /**
   * epoll: after a wakeup, pause this long before waiting again, so a busy producer is drained
   * in batches with one wakeup each (ms; 0 = wake per burst). timer: the drain interval.
   */
  intervalMs?: number;
  /** Called after each wait, before the drain (metrics count polls). */
  onPoll?: () => void;
}

/** Records drained per slice before the loop yields to the event loop. */
export const DRAIN_BUDGET = 1 << 16;

/** Something a poll loop drains. */
export interface Drainer {
  /** Delivers up to `budget` ready records; returns how many. */
  drain(budget?: number): number;
}

/** A stop switch with cancellable sleeps. */
export class StopSignal {
  #controller = new AbortController();

  /** Whether `stop` was called. */
  get stopped(): boolean {
    return this.#controller.signal.aborted;
  }

  /** Ends the loop; pending sleeps resolve now. */
  stop(): void {
    this.#controller.abort();
  }

  /** Calls `fn` once when stopped (at once if already). */
  onStop(fn: () => void): void {
    if (this.stopped) fn();
    else this.#controller.signal.addEventListener("abort", fn, { once: true });
  }

  /** Stops when `signal` aborts. */
  follow(signal?: AbortSignal): void {
    if (!signal) return;
    if (signal.aborted) this.stop();
    else signal.addEventListener("abort", () => this.stop(), { once: true });
  }

  /** Sleeps `ms`, or less when stopped meanwhile. */
  sleep(ms: number): Promise<void> {
    const signal = this.#controller.signal;
    if (signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener("abort", done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal.addEventListener("abort", done, { once: true });
    });
  }
}

/**
 * Waits and drains until `stop` is set, then drains once more. Handler errors end the loop
 * and reject. A drain that hits its budget yields a macrotask and continues without waiting,
 * so a producer faster than the handler never starves timers or signal handlers.
 */
export async function pollLoop(
  source: Drainer,
  epoll: EpollSet | undefined,
  stop: StopSignal,
  opts: PollOptions,
): Promise<void> {
  const mode = opts.wait === "timer" || !epoll?.blocksOffThread ? "timer" : "epoll";
  const timeoutMs = opts.timeoutMs ?? 100;
  const intervalMs = opts.intervalMs ?? (mode === "epoll" ? 1 : 10);
  if (mode === "epoll") stop.onStop(() => epoll!.interrupt());
  while (!stop.stopped) {
    let woke = 0;
    if (mode === "epoll") woke = await epoll!.wait(timeoutMs);
    else await stop.sleep(intervalMs);
    opts.onPoll?.();
    while (source.drain(DRAIN_BUDGET) === DRAIN_BUDGET && !stop.stopped) {
      // setImmediate, not setTimeout(0): a zero timeout is clamped to 1–2 ms per yield here.
      await new Promise((r) => setImmediate(r));
    }
    if (woke > 0 && mode === "epoll" && intervalMs > 0) await stop.sleep(intervalMs);
  }
  source.drain();
}
