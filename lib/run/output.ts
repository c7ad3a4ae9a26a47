import { writeSync } from "node:fs";

/** Where printed events go. */
export interface Output {
  /** Appends text (lines end with "\n"). */
  write(text: string): void;
  /** Pushes buffered text out. */
  flush(): void;
}

/** Buffered writes to a file descriptor: one `write(2)` per ~64 KiB, not one per event. */
export class FdOutput implements Output {
  #chunks: string[] = [];
  #size = 0;

  /** Writes to `fd` (default 1, stdout). */
  constructor(readonly fd = 1, readonly limit = 1 << 16) {}

  /** Appends text; flushes when the buffer passes the limit. */
  write(text: string): void {
    this.#chunks.push(text);
    this.#size += text.length;
    if (this.#size >= this.limit) this.flush();
  }

  /** Writes everything buffered (retrying partial writes). */
  flush(): void {
    if (!this.#chunks.length) return;
    const data = new TextEncoder().encode(this.#chunks.join(""));
    this.#chunks = [];
    this.#size = 0;
    for (let off = 0; off < data.length;) {
      try {
        off += writeSync(this.fd, data, off);
      } catch (e) {
        // A reader that went away (`| head`) ends output, not the run with a stack trace.
        if ((e as NodeJS.ErrnoException).code === "EPIPE") return;
        if ((e as NodeJS.ErrnoException).code !== "EAGAIN") throw e;
      }
    }
  }
}

/** Collects output in memory (tests, the programmatic API). */
export class MemoryOutput implements Output {
  /** Everything written so far. */
  text = "";
  /** Appends text. */
  write(text: string): void {
    this.text += text;
  }
  /** Nothing to do. */
  flush(): void {}
}
