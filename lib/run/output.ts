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
  #buf: Uint8Array;
  #pos = 0;
  #utf8 = new TextEncoder();

  /** Writes to `fd` (default 1, stdout). */
  constructor(readonly fd = 1, readonly limit = 1 << 16) {
    this.#buf = new Uint8Array(limit * 2);
  }

  #room(bytes: number): void {
    if (this.#pos + bytes <= this.#buf.length) return;
    this.flush();
    if (bytes > this.#buf.length) this.#buf = new Uint8Array(bytes);
  }

  /** Appends text; flushes when the buffer passes the limit. */
  write(text: string): void {
    this.#room(text.length * 3);
    this.#pos += this.#utf8.encodeInto(text, this.#buf.subarray(this.#pos)).written;
    if (this.#pos >= this.limit) this.flush();
  }

  /** Appends what `encode` writes for `src` (at most `encode.maxBytes` bytes). */
  writeEncoded(
    encode: ((src: Uint8Array, dst: Uint8Array, at: number) => number) & { maxBytes: number },
    src: Uint8Array,
  ): void {
    this.#room(encode.maxBytes);
    this.#pos = encode(src, this.#buf, this.#pos);
    if (this.#pos >= this.limit) this.flush();
  }

  /** Appends what `encode.at` writes for `length` bytes at `offset` of `view`. */
  writeEncodedAt(
    encode: {
      maxBytes: number;
      at(view: DataView, offset: number, length: number, dst: Uint8Array, at: number): number;
    },
    view: DataView,
    offset: number,
    length: number,
  ): void {
    this.#room(encode.maxBytes);
    this.#pos = encode.at(view, offset, length, this.#buf, this.#pos);
    if (this.#pos >= this.limit) this.flush();
  }

  /** Writes everything buffered (retrying partial writes). */
  flush(): void {
    const end = this.#pos;
    this.#pos = 0;
    for (let off = 0; off < end;) {
      try {
        off += writeSync(this.fd, this.#buf, off, end - off);
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
