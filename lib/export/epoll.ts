import { Epoll, epollEvent, EventFd, ffi } from "../../ffi/mod.ts";

/** The tag of the eventfd `interrupt()` writes to. */
const INTERRUPT = 0xffff_ffff;

/**
 * An epoll instance over map or perf fds. `wait` runs `epoll_wait` on a worker thread where the
 * runtime can (the JS event loop stays free, so timers and signals keep working); elsewhere it
 * sleeps for the timeout. Readers drain after every wait, wakeup or not, because records
 * submitted with `BPF_RB_NO_WAKEUP` never wake anyone.
 */
export class EpollSet {
  #fd: number;
  #wake: number;
  #events: Uint8Array;
  #pending?: Promise<number>;
  #closed = false;

  /** Creates the epoll instance (room for `capacity` ready events per wait). */
  constructor(capacity = 64) {
    const { libc, errno } = ffi();
    const fd = libc.epoll_create1(Epoll.CLOEXEC);
    if (fd < 0) throw new Error(`epoll_create1 failed: errno ${errno()}`);
    this.#fd = fd;
    // An eventfd in the set lets `interrupt()` end a wait at once (stop on SIGINT).
    this.#wake = libc.eventfd(0, EventFd.CLOEXEC | EventFd.NONBLOCK);
    if (this.#wake < 0) {
      libc.close(fd);
      throw new Error(`eventfd failed: errno ${errno()}`);
    }
    this.#events = new Uint8Array((capacity + 1) * Epoll.EVENT_SIZE);
    this.add(this.#wake, INTERRUPT);
  }

  /** Whether waits happen off the JS thread (else `wait` is a plain timer sleep). */
  get blocksOffThread(): boolean {
    return ffi().libc.epoll_wait_async !== undefined;
  }

  /** Watches `fd` for input; `tag` comes back in `readyTags` (e.g. a CPU index). */
  add(fd: number, tag: number): void {
    const r = ffi().libc.epoll_ctl(this.#fd, Epoll.CTL_ADD, fd, epollEvent(Epoll.EPOLLIN, tag));
    if (r < 0) throw new Error(`epoll_ctl(ADD, fd ${fd}) failed: errno ${ffi().errno()}`);
  }

  /** Tags of the first `n` events of the last wait (the interrupt eventfd left out). */
  readyTags(n: number): number[] {
    const v = new DataView(this.#events.buffer);
    const out: number[] = [];
    for (let i = 0; i < n; i++) {
      const tag = Number(v.getBigUint64(i * Epoll.EVENT_SIZE + Epoll.DATA_OFFSET, true));
      if (tag !== INTERRUPT) out.push(tag);
    }
    return out;
  }

  /** Ends a wait in flight (and the next one) now. */
  interrupt(): void {
    if (!this.#closed) ffi().libc.write(this.#wake, new BigUint64Array([1n]), 8);
  }

  /** Ready fds right now, without blocking. */
  poll(): number {
    if (this.#closed) return 0;
    const capacity = this.#events.length / Epoll.EVENT_SIZE;
    return Math.max(0, ffi().libc.epoll_wait(this.#fd, this.#events, capacity, 0));
  }

  /**
   * Waits up to `timeoutMs` on this thread, blocking it (for callers that must answer
   * synchronously, like a Wasm guest's poll import running in its own worker).
   */
  waitBlocking(timeoutMs: number): number {
    if (this.#closed) return 0;
    const capacity = this.#events.length / Epoll.EVENT_SIZE;
    return Math.max(0, ffi().libc.epoll_wait(this.#fd, this.#events, capacity, timeoutMs));
  }

  /** Waits up to `timeoutMs` for input; resolves with the ready count (0 on timeout). */
  async wait(timeoutMs: number): Promise<number> {
    const waitAsync = ffi().libc.epoll_wait_async;
    if (this.#closed) return 0;
    if (!waitAsync) {
      await new Promise((r) => setTimeout(r, timeoutMs));
      return this.poll();
    }
    const capacity = this.#events.length / Epoll.EVENT_SIZE;
    this.#pending = waitAsync(this.#fd, this.#events, capacity, timeoutMs);
    try {
      return Math.max(0, await this.#pending);
    } finally {
      this.#pending = undefined;
    }
  }

  /** Closes the fds; a wait in flight is interrupted and finishes first (it uses the fd). */
  close(): void {
    if (this.#closed) return;
    this.interrupt();
    this.#closed = true;
    const { libc } = ffi();
    const fds = [this.#fd, this.#wake];
    const release = () => fds.forEach((fd) => libc.close(fd));
    if (this.#pending) this.#pending.finally(release).catch(() => {});
    else release();
  }
}
