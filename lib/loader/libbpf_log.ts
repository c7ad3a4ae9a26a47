import { ffi, LibbpfLevel } from "../../ffi/mod.ts";

/** Level of a libbpf log line. */
export type LogLevel = "warn" | "info" | "debug";

/** Receives libbpf's log lines (without the `libbpf: ` prefix). */
export type LogSink = (level: LogLevel, line: string) => void;

const LEVELS: Record<number, LogLevel> = {
  [LibbpfLevel.WARN]: "warn",
  [LibbpfLevel.INFO]: "info",
  [LibbpfLevel.DEBUG]: "debug",
};

/**
 * Routes libbpf's messages for one object. Verbose: every line goes to the sink as it comes.
 * Otherwise warnings of a call are held back: a failed call turns them into its error, a
 * successful one passes them on, and info/debug lines are dropped.
 */
export class LibbpfLog {
  /** Every line of the last `run`, levels included, for error details. */
  lines: { level: LogLevel; text: string }[] = [];

  /** Creates a log that forwards to `sink` (nothing when undefined). */
  constructor(readonly sink: LogSink | undefined, readonly verbose: boolean) {}

  /** Runs `call` (libbpf calls) with libbpf's messages routed here; `failed` judges the result. */
  run<T>(call: () => T, failed: (value: T) => boolean): T {
    this.lines = [];
    const backend = ffi();
    backend.setLibbpfSink((level, message) => {
      const lvl = LEVELS[level] ?? "debug";
      for (const raw of message.replace(/\n$/, "").split("\n")) {
        const text = raw.replace(/^libbpf: /, "");
        this.lines.push({ level: lvl, text });
        if (this.verbose) this.sink?.(lvl, text);
      }
    });
    let value: T;
    try {
      value = call();
    } finally {
      backend.setLibbpfSink(null);
    }
    if (!this.verbose && !failed(value)) {
      for (const l of this.lines) if (l.level === "warn") this.sink?.("warn", l.text);
    }
    return value;
  }

  /** Warning lines of the last run. */
  warnings(): string[] {
    return this.lines.filter((l) => l.level === "warn").map((l) => l.text);
  }

  /** The last run's lines as one text block (for `LoaderError.details`). */
  text(): string {
    return this.lines.map((l) => l.text).join("\n");
  }
}
