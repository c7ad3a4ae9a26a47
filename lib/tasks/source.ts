import { programHandler, type ProgramType, ProgramTypeError } from "../source/mod.ts";
import { type RunningProgram, startProgram } from "../run/mod.ts";
import { TaskError } from "./errors.ts";
import { LogOutput, type TaskLog } from "./log.ts";
import { startWasmModule } from "../wasm/mod.ts";

/** What a task runs: a started program that can pause, resume and stop. */
export interface Runnable {
  /** Whether `pause()` holds it. */
  readonly paused: boolean;
  /** Detaches and stops polling (the loaded object stays). */
  pause(): Promise<void>;
  /** Re-attaches and polls again. */
  resume(): Promise<void>;
  /** Ends it; `done` settles once everything it held is released. */
  stop(): void;
  /** Settles after teardown; rejects with the reason it died. */
  readonly done: Promise<unknown>;
}

/** What a program source gets besides the bytes. */
export interface SourceContext {
  /** The program's own flags (`extra_args`). */
  args: string[];
  /** JSON lines instead of the plain table (`export_json`). */
  exportJson: boolean;
  /** A kernel BTF path on the server (`btf_archive_path`). */
  btfArchivePath?: string;
  /** The task's log: what the program prints goes here. */
  log: TaskLog;
  /** Diagnostics (libbpf warnings, lost events): the server's stderr. */
  diagnostic(line: string): void;
}

/**
 * Turns uploaded bytes of one `program_type` into a running program; throws (a `TaskError`, a
 * loader error, …) with one line when it cannot. Nothing stays loaded after a throw.
 */
export type TaskSource = (bytes: Uint8Array, ctx: SourceContext) => Runnable | Promise<Runnable>;

/**
 * A program type that becomes a package (json; tar and yaml once their handlers are
 * registered in lib/source), run as `ecli run` runs it; a type with no package form in this
 * build answers `program_type X is not supported yet`.
 */
export function packageSource(type: ProgramType): TaskSource {
  return async (bytes, ctx): Promise<RunningProgram> => {
    const program = { source: "program_data_buf", type, bytes };
    let handler;
    try {
      handler = programHandler(program);
    } catch (e) {
      if (e instanceof ProgramTypeError) return unsupportedSource(type)(bytes, ctx) as never;
      throw e;
    }
    if (!handler.toPackage) return unsupportedSource(type)(bytes, ctx) as never;
    const pkg = await handler.toPackage(program);
    return startProgram(pkg, {
      programArgs: ctx.args,
      format: ctx.exportJson ? "json" : "plain",
      btfPath: ctx.btfArchivePath,
      out: new LogOutput(ctx.log),
      log: ctx.diagnostic,
    });
  };
}

/** A source for a program type this build cannot run yet (answers 400 with that). */
export function unsupportedSource(type: string): TaskSource {
  return () => {
    throw new TaskError(`program_type ${type} is not supported yet`);
  };
}

/**
 * A wasm-bpf module as a task: the guest's argv is `extra_args`, its stdout and stderr lines go
 * to the task's log as upstream's log types `stdout`/`stderr`; pause holds it at its next host
 * call. A guest that traps or exits non-zero ends the task with that reason.
 */
export function wasmSource(): TaskSource {
  return (bytes, ctx): Runnable => {
    const run = startWasmModule(bytes, {
      args: ["program.wasm", ...ctx.args],
      onLine: (stream, line) => ctx.log.append(line, stream),
    });
    let paused = false;
    return {
      get paused() {
        return paused;
      },
      pause: () => Promise.resolve(void (run.pause(), paused = true)),
      resume: () => Promise.resolve(void (run.resume(), paused = false)),
      stop: () => run.stop(),
      done: run.done.then((r) => {
        if (r.error && !r.stopped) throw new TaskError(`guest: ${r.error}`);
        if (r.code !== 0 && !r.stopped) throw new TaskError(`guest exited with code ${r.code}`);
        return r;
      }),
    };
  };
}

/** Every `program_type` a request may name, and what runs each. */
export function defaultSources(): Record<string, TaskSource> {
  return { json: packageSource("json"), tar: packageSource("tar"), wasm: wasmSource() };
}
