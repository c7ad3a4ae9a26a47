import { spawn } from "node:child_process";
import { fieldText } from "../format/mod.ts";
import { HandlerError } from "./errors.ts";

/**
 * Splits an `--exec` command line into words as a shell would split it (single and double
 * quotes, backslash escapes), without running a shell: `{field}` placeholders are filled in
 * per event inside these words, so a value never becomes more than the word it stands in.
 */
export function parseCommandTemplate(template: string): string[] {
  const words: string[] = [];
  let word = "";
  let inWord = false;
  let quote: "'" | '"' | undefined;
  for (let i = 0; i < template.length; i++) {
    const c = template[i];
    if (quote) {
      if (c === quote) quote = undefined;
      else if (c === "\\" && quote === '"' && /["\\$`]/.test(template[i + 1] ?? "")) {
        word += template[++i];
      } else word += c;
    } else if (c === "'" || c === '"') {
      quote = c;
      inWord = true;
    } else if (c === "\\" && i + 1 < template.length) {
      word += template[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(word);
      word = "";
      inWord = false;
    } else {
      word += c;
      inWord = true;
    }
  }
  if (quote) throw new HandlerError(`--exec: unclosed ${quote} in '${template}'`);
  if (inWord) words.push(word);
  if (words.length === 0) throw new HandlerError("--exec: empty command");
  return words;
}

const PLACEHOLDER = /\{(\w*)\}/g;

/** The field names an `--exec` command uses (`{pid}` → `pid`; `{}` is the whole value). */
export function templateFields(words: string[]): string[] {
  return [...new Set(words.flatMap((w) => [...w.matchAll(PLACEHOLDER)].map((m) => m[1])))]
    .filter((n) => n !== "");
}

/** Options of `makeExecSink`. */
export interface ExecOptions {
  /** Commands running at once (default 1, as xargs). */
  concurrency?: number;
  /** Events waiting for a free slot at most (default 1000); more are dropped and counted. */
  pending?: number;
  /** Failures and drops. */
  log(line: string): void;
}

/** Where `--exec` sends values: one command per value. */
export interface ExecSink {
  /** Starts (or queues) the command for `value`. */
  emit(value: unknown): void;
  /** Waits for every started and queued command; reports drops. */
  drain(): Promise<void>;
}

/**
 * Runs one command per value with `{field}` replaced by the value's field (each word stays
 * one argument: no shell), with bounded concurrency and a bounded queue. Output goes to
 * ecli's stdout and stderr; a failure is reported on one line and the run goes on.
 */
export function makeExecSink(template: string, opts: ExecOptions): ExecSink {
  const words = parseCommandTemplate(template);
  const limit = opts.concurrency ?? 1;
  const pendingLimit = opts.pending ?? 1000;
  const queue: string[][] = [];
  let running = 0;
  let dropped = 0;
  let idle: (() => void)[] = [];
  const fill = (v: unknown) =>
    words.map((w) =>
      w.replace(PLACEHOLDER, (_, name: string) => {
        if (name === "") return fieldText(v);
        const field = v && typeof v === "object" ? (v as Record<string, unknown>)[name] : undefined;
        return fieldText(field);
      })
    );
  const next = () => {
    while (running < limit && queue.length) start(queue.shift()!);
    if (running === 0 && queue.length === 0) {
      for (const r of idle) r();
      idle = [];
    }
  };
  const start = (argv: string[]) => {
    running++;
    const child = spawn(argv[0], argv.slice(1), { stdio: ["ignore", "inherit", "inherit"] });
    let done = false;
    const finish = (why?: string) => {
      if (done) return;
      done = true;
      if (why) opts.log(`ecli: --exec: ${argv[0]}: ${why}`);
      running--;
      next();
    };
    child.on("error", (e) => finish(`cannot run: ${e.message}`));
    child.on(
      "close",
      (code, signal) =>
        finish(code === 0 ? undefined : signal ? `killed by ${signal}` : `exit ${code}`),
    );
  };
  return {
    emit(value) {
      if (queue.length >= pendingLimit) {
        dropped++;
        return;
      }
      queue.push(fill(value));
      next();
    },
    async drain() {
      if (running || queue.length) await new Promise<void>((r) => idle.push(r));
      if (dropped) {
        opts.log(`ecli: --exec: ${dropped} events dropped (${pendingLimit} commands were waiting)`);
      }
    },
  };
}
