import type { Output } from "../run/mod.ts";

/** Where a log line came from: a JSON/tar program prints `plain` lines; wasm has stdout/stderr. */
export type LogType = "plain" | "stdout" | "stderr";

/** One line of a task's log, in upstream's wire shape. */
export interface LogEntry {
  /** Position in the task's log: 0 for the first line ever appended, +1 per line. */
  cursor: number;
  /** The line and when it was appended. */
  log: {
    /** The text, without its newline. */
    log: string;
    /** Unix seconds. */
    timestamp: number;
    /** Where it came from. */
    log_type: LogType;
  };
}

/** Lines a task keeps when nothing else is configured. */
export const DEFAULT_LOG_LINES = 10_000;

/** Entries one `poll` returns at most (upstream's DEFAULT_MAXIMUM_LOG_ENTRIES). */
export const MAX_POLL_ENTRIES = 1000;

/**
 * A task's bounded log: a ring of the last `capacity` lines; when full, the oldest line is
 * dropped and counted. Cursors only grow, so an entry's slot is computed, never searched;
 * followers subscribe to the lines as they are appended.
 */
export class TaskLog {
  /** Lines dropped because the log was full (never read by anyone). */
  dropped = 0;
  #ring: (LogEntry | undefined)[];
  #first = 0;
  #next = 0;
  #closed = false;
  #subscribers = new Set<{ onEntry: (e: LogEntry) => void; onClose?: () => void }>();

  /** A log of at most `capacity` lines. */
  constructor(readonly capacity = DEFAULT_LOG_LINES) {
    if (!(capacity >= 1)) throw new RangeError(`log capacity must be at least 1, got ${capacity}`);
    this.#ring = new Array(capacity);
  }

  /** The cursor the next line gets. */
  get nextCursor(): number {
    return this.#next;
  }

  /** The cursor of the oldest line kept (equal to `nextCursor` when empty). */
  get firstCursor(): number {
    return this.#first;
  }

  /** Whether the task has ended: no more lines will come. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Appends one line (no newline), dropping the oldest when full. */
  append(text: string, type: LogType = "plain"): void {
    if (this.#closed) return;
    if (this.#next - this.#first === this.capacity) {
      this.#ring[this.#first % this.capacity] = undefined;
      this.#first++;
      this.dropped++;
    }
    const cursor = this.#next++;
    const entry: LogEntry = {
      cursor,
      log: { log: text, timestamp: Math.floor(Date.now() / 1000), log_type: type },
    };
    this.#ring[cursor % this.capacity] = entry;
    for (const s of this.#subscribers) s.onEntry(entry);
  }

  /** No more lines; followers finish with what is kept. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const s of this.#subscribers) s.onClose?.();
    this.#subscribers.clear();
  }

  /** Up to `max` lines from cursor `from` on (or the oldest kept), without removing any. */
  read(from = 0, max = MAX_POLL_ENTRIES): LogEntry[] {
    const start = Math.max(from, this.#first);
    const end = Math.min(this.#next, start + max);
    const out: LogEntry[] = [];
    for (let c = start; c < end; c++) out.push(this.#ring[c % this.capacity]!);
    return out;
  }

  /**
   * Upstream's `/log` read: with a cursor, every line below it is removed for good (the read is
   * destructive and shared by all readers); then the first `min(max, 1000)` lines are returned.
   */
  poll(cursor?: number, max = MAX_POLL_ENTRIES): LogEntry[] {
    if (cursor !== undefined) {
      const upTo = Math.min(cursor, this.#next);
      for (; this.#first < upTo; this.#first++) this.#ring[this.#first % this.capacity] = undefined;
    }
    return this.read(this.#first, Math.min(max, MAX_POLL_ENTRIES));
  }

  /**
   * Calls `onEntry` with every line appended from now on, and `onClose` when the log closes
   * (at once if it is closed already); returns the unsubscribe function. Followers get lines
   * as they are appended, so a burst larger than the cap reaches them even if the ring wraps.
   */
  subscribe(onEntry: (e: LogEntry) => void, onClose?: () => void): () => void {
    if (this.#closed) {
      onClose?.();
      return () => {};
    }
    const sub = { onEntry, onClose };
    this.#subscribers.add(sub);
    return () => this.#subscribers.delete(sub);
  }
}

/** An `Output` that appends what a run prints to a task log, one entry per line. */
export class LogOutput implements Output {
  #partial = "";

  /** Lines go to `log` as `type`. */
  constructor(readonly log: TaskLog, readonly type: LogType = "plain") {}

  /** Appends the complete lines of `text`; a trailing partial line waits for its newline. */
  write(text: string): void {
    // The common case: one whole line per write (a table row, a JSON line).
    if (!this.#partial && text.indexOf("\n") === text.length - 1) {
      this.log.append(text.slice(0, -1), this.type);
      return;
    }
    let start = 0;
    for (let nl = text.indexOf("\n"); nl !== -1; nl = text.indexOf("\n", start)) {
      const line = text.slice(start, nl);
      this.log.append(start === 0 && this.#partial ? this.#partial + line : line, this.type);
      if (start === 0) this.#partial = "";
      start = nl + 1;
    }
    if (start < text.length) this.#partial += text.slice(start);
  }

  /** Lines are appended as they complete: nothing is buffered but a partial line. */
  flush(): void {}
}
