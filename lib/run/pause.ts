/**
 * Pause and resume of a running package: pausing detaches its programs (the object, its maps
 * and programs stay loaded) and ends the current round of export readers; resuming makes new
 * readers and re-attaches. The run loop asks the gate for each round.
 * @module
 */

/** What the run loop waits on between reader rounds. */
export class PauseGate {
  #paused = false;
  #round = new AbortController();
  #resumed?: (resume: Resume | undefined) => void;
  #request?: Resume;
  #idle?: () => void;
  #idlePromise: Promise<void> = Promise.resolve();

  /** Whether the run is paused. */
  get paused(): boolean {
    return this.#paused;
  }

  /** Aborted when the current round of readers must end (pause). */
  get round(): AbortSignal {
    return this.#round.signal;
  }

  /** Ends the current round; resolves once its readers are closed (see `roundEnded`). */
  pause(): Promise<void> {
    this.#paused = true;
    this.#idlePromise = new Promise((r) => this.#idle = r);
    this.#round.abort();
    return this.#idlePromise;
  }

  /** Called by the run loop once a round's readers are closed. */
  roundEnded(): void {
    this.#idle?.();
    this.#idle = undefined;
  }

  /** Starts a new round; resolves once the loop has re-attached (rejects when that failed). */
  resume(): Promise<void> {
    this.#paused = false;
    this.#round = new AbortController();
    return new Promise((resolve, reject) => {
      const request = { resolve, reject };
      const wake = this.#resumed;
      this.#resumed = undefined;
      // The loop may still be closing the last round's readers: it picks the request up then.
      if (wake) wake(request);
      else this.#request = request;
    });
  }

  /** Waits for `resume()` (its settle functions) or for `stop` (undefined). */
  waitResume(stop: AbortSignal): Promise<Resume | undefined> {
    const request = this.#request;
    this.#request = undefined;
    if (stop.aborted) {
      request?.reject(new Error("the run ended"));
      return Promise.resolve(undefined);
    }
    if (request) return Promise.resolve(request);
    return new Promise((resolve) => {
      this.#resumed = resolve;
      stop.addEventListener("abort", () => resolve(undefined), { once: true });
    });
  }
}

/** How the run loop reports the outcome of a re-attach to `resume()`. */
export interface Resume {
  /** Re-attached. */
  resolve(): void;
  /** Re-attach failed. */
  reject(error: Error): void;
}

/** Resolves when `signal` aborts. */
export function aborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener("abort", () => resolve(), { once: true });
  });
}
