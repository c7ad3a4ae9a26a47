/**
 * Test support: run the CLI as a user would (`deno run -A cli.ts …`; `bun cli.ts …` with
 * `ECLI_RUNTIME=bun`; the compiled `dist/ecli` with `ECLI_RUNTIME=binary`) and capture its
 * output.
 * @module
 */
import { fileURLToPath } from "node:url";

/** The repository root. */
export const ROOT = fileURLToPath(new URL("../../", import.meta.url)).replace(/\/$/, "");

/**
 * The command that runs the CLI: `deno run -A <ROOT>/cli.ts`; `bun <ROOT>/cli.ts` when
 * `ECLI_RUNTIME=bun`; `<ROOT>/dist/ecli` when `ECLI_RUNTIME=binary` (the same tests then
 * exercise the Bun backend or the shipped executable).
 */
export function cliCommand(args: string[]): [string, string[]] {
  switch (Deno.env.get("ECLI_RUNTIME")) {
    case "bun":
      return ["bun", [`${ROOT}/cli.ts`, ...args]];
    case "binary":
      return [`${ROOT}/dist/ecli`, args];
    default:
      return ["deno", ["run", "-A", `${ROOT}/cli.ts`, ...args]];
  }
}

/** Captured result of one CLI run. */
export interface CliResult {
  /** Exit code. */
  code: number;
  /** Standard output as text. */
  stdout: string;
  /** Standard error as text. */
  stderr: string;
}

/** Runs `cli.ts` with `args` (argv[0] is `ecli`), from `cwd` (default: the repository). */
export async function runCli(
  args: string[],
  opts: { cwd?: string; env?: Record<string, string>; stdin?: string } = {},
): Promise<CliResult> {
  const [bin, argv] = cliCommand(args);
  const cmd = new Deno.Command(bin, {
    args: argv,
    cwd: opts.cwd ?? ROOT,
    env: opts.env,
    stdin: opts.stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  });
  const child = cmd.spawn();
  if (opts.stdin !== undefined) {
    const w = child.stdin.getWriter();
    await w.write(new TextEncoder().encode(opts.stdin));
    await w.close();
  }
  const out = await child.output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

/** Runs a command and returns its stdout; throws with stderr when it fails. */
export async function sh(cmd: string, args: string[]): Promise<string> {
  const out = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped" }).output();
  const dec = new TextDecoder();
  if (!out.success) throw new Error(`${cmd} ${args.join(" ")} failed: ${dec.decode(out.stderr)}`);
  return dec.decode(out.stdout);
}

/** An `ecli run` in the background. */
export interface BackgroundRun {
  /** The child's pid. */
  pid: number;
  /** Resolves once the programs are attached (the run says so on stderr). */
  attached: Promise<void>;
  /** Everything printed on stdout so far. */
  stdout(): string;
  /** Sends `signal` (default SIGINT) and waits for the exit. */
  stop(signal?: Deno.Signal): Promise<CliResult>;
  /** Waits for the run to end by itself. */
  done: Promise<CliResult>;
}

/** Starts `ecli run <args>` and follows its output. */
export function startRun(args: string[], env?: Record<string, string>): BackgroundRun {
  const [bin, argv] = cliCommand(["run", ...args]);
  return startFollowed(bin, argv, { cwd: ROOT, env });
}

/** Starts `ecli <args>` (any command that says when it is attached) and follows its output. */
export function startCli(args: string[], env?: Record<string, string>): BackgroundRun {
  const [bin, argv] = cliCommand(args);
  return startFollowed(bin, argv, { cwd: ROOT, env });
}

/** Starts any command that says ` attached, printing ` when ready, and follows its output. */
export function startFollowed(
  bin: string,
  argv: string[],
  opts: { cwd: string; env?: Record<string, string>; clearEnv?: boolean; attachMs?: number },
): BackgroundRun {
  const child = new Deno.Command(bin, {
    args: argv,
    cwd: opts.cwd,
    env: opts.env,
    clearEnv: opts.clearEnv,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let out = "";
  let err = "";
  const pump = async (stream: ReadableStream<Uint8Array>, add: (s: string) => void) => {
    const dec = new TextDecoder();
    for await (const chunk of stream) add(dec.decode(chunk, { stream: true }));
  };
  let onAttached: () => void = () => {};
  let onFailed: (e: Error) => void = () => {};
  const attached = new Promise<void>((res, rej) => {
    onAttached = res;
    onFailed = rej;
  });
  const pumps = Promise.all([
    pump(child.stdout, (s) => out += s),
    pump(child.stderr, (s) => {
      err += s;
      if (/ attached, printing /.test(err)) onAttached();
    }),
  ]);
  const done = (async () => {
    const status = await child.status;
    await pumps;
    onFailed(new Error(`ecli run exited (${status.code}) before attaching:\n${err}`));
    return { code: status.code, stdout: out, stderr: err };
  })();
  // Generous: in a qemu TCG guest on a busy 2-core host a start can take a minute.
  const attachMs = opts.attachMs ?? 120_000;
  const timer = setTimeout(
    () => onFailed(new Error(`not attached after ${attachMs / 1000} s:\n${err}`)),
    attachMs,
  );
  attached.finally(() => clearTimeout(timer)).catch(() => {});
  return {
    pid: child.pid,
    attached,
    stdout: () => out,
    done,
    async stop(signal: Deno.Signal = "SIGINT") {
      try {
        child.kill(signal);
      } catch { /* already gone */ }
      return await done;
    },
  };
}

/** Sleeps `ms` milliseconds. */
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits until `cond(stdout)` holds or `ms` pass (events are flushed within ~50 ms). */
export async function waitFor(
  run: { stdout(): string },
  cond: (out: string) => boolean,
  ms = 5000,
): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end && !cond(run.stdout())) await sleep(25);
}

/** The JSON objects of `--json` output, one per non-empty line. */
export function jsonLines(text: string): Record<string, unknown>[] {
  return text.split("\n").filter((l) => l.trim()).map((l) => JSON.parse(l));
}
