import { spawn } from "node:child_process";

/** What one `ctx.$` command did. */
export interface ShellResult {
  /** The command line run by `/bin/sh -c`, values quoted. */
  readonly command: string;
  /** Exit code (127: could not start; -1: dropped because too many were waiting). */
  readonly code: number;
  /** Its standard output (the first MiB). */
  readonly stdout: string;
  /** Its standard error (the first MiB). */
  readonly stderr: string;
}

/** `ctx.$`: a tagged-template shell; every interpolated value is one quoted word. */
export type Shell = (strings: TemplateStringsArray, ...values: unknown[]) => Promise<ShellResult>;

/**
 * One shell word for `value`: single-quoted, so the shell expands nothing in it (an array
 * becomes one word per element).
 */
export function shellQuote(value: unknown): string {
  if (Array.isArray(value)) return value.map(shellQuote).join(" ");
  const s = String(value);
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replaceAll("'", `'\\''`)}'`;
}

/** Options of `makeShell`. */
export interface ShellOptions {
  /** Commands running at once (default 4); the rest wait in order. */
  concurrency?: number;
  /** Commands waiting at most (default 1000); beyond it a command is dropped (code -1). */
  pending?: number;
  /** Where failures are reported: one line per failed command. */
  log(line: string): void;
}

const CAPTURE = 1 << 20;

/**
 * A `ctx.$` for a run: commands run through `/bin/sh -c` with bounded concurrency and a
 * bounded wait list, their output captured. A failing command (non-zero exit, or one that
 * cannot start) is reported on one line and its result returned: it never throws, so a
 * handler's shell call cannot end the run.
 */
export function makeShell(opts: ShellOptions): Shell {
  const limit = opts.concurrency ?? 4;
  const pendingLimit = opts.pending ?? 1000;
  let running = 0;
  const waiting: (() => void)[] = [];
  const slot = async () => {
    if (running >= limit) await new Promise<void>((r) => waiting.push(r));
    running++;
  };
  const release = () => {
    running--;
    waiting.shift()?.();
  };
  return async (strings, ...values) => {
    const command = strings.raw.reduce(
      (acc, s, i) => acc + s + (i < values.length ? shellQuote(values[i]) : ""),
      "",
    );
    if (waiting.length >= pendingLimit) {
      opts.log(`ecli: ctx.$: dropped (${pendingLimit} commands waiting): ${command}`);
      return { command, code: -1, stdout: "", stderr: "" };
    }
    await slot();
    try {
      const result = await runShell(command);
      if (result.code !== 0) {
        const why = result.stderr.trim().split("\n")[0];
        opts.log(`ecli: ctx.$: exit ${result.code}: ${command}${why ? `: ${why}` : ""}`);
      }
      return result;
    } finally {
      release();
    }
  };
}

function runShell(command: string): Promise<ShellResult> {
  return new Promise((resolve) => {
    let stdout = "";
    let stderr = "";
    const child = spawn("/bin/sh", ["-c", command], { stdio: ["ignore", "pipe", "pipe"] });
    child.stdout.setEncoding("utf8").on("data", (d: string) => {
      if (stdout.length < CAPTURE) stdout += d;
    });
    child.stderr.setEncoding("utf8").on("data", (d: string) => {
      if (stderr.length < CAPTURE) stderr += d;
    });
    child.on("error", (e) => resolve({ command, code: 127, stdout, stderr: e.message }));
    child.on(
      "close",
      (code, signal) => resolve({ command, code: code ?? (signal ? 128 : 1), stdout, stderr }),
    );
  });
}
