import { TaskError } from "./errors.ts";
import { DEFAULT_LOG_LINES, TaskLog } from "./log.ts";
import { defaultSources, type Runnable, type TaskSource } from "./source.ts";

/** A task's state: upstream's `running`/`paused`, plus `exited` for one that died. */
export type TaskStatus = "running" | "paused" | "exited";

/** A task as `GET /task` lists it (upstream's fields first). */
export interface TaskInfo {
  /** Task id, from 1. */
  id: number;
  /** Its name (`program_name`, default `bpf-program-<unix secs>`). */
  name: string;
  /** Its state. */
  status: TaskStatus;
  /** Why it exited (a poll error, the handler's exception, …), when it has. */
  exit_reason?: string;
  /** Log lines dropped because nobody read them before the cap. */
  log_dropped: number;
}

/** What `TaskManager.start` runs. */
export interface TaskSpec {
  /** `program_type`: a key of the manager's sources. */
  type: string;
  /** The program file's bytes. */
  bytes: Uint8Array;
  /** Task name (default `bpf-program-<unix secs>`). */
  name?: string;
  /** The program's own flags. */
  args?: string[];
  /** JSON lines instead of the plain table. */
  exportJson?: boolean;
  /** A kernel BTF path on the server. */
  btfArchivePath?: string;
}

/** One program running in the manager, with its log. */
export class Task {
  #exit?: string;

  /** @internal Use `TaskManager.start`. */
  constructor(
    readonly id: number,
    readonly name: string,
    readonly log: TaskLog,
    readonly program: Runnable,
  ) {
    program.done.then(
      () => this.#exited("ended"),
      (e) => this.#exited((e as Error)?.message ?? String(e)),
    );
  }

  #exited(reason: string): void {
    this.#exit ??= reason;
    this.log.close();
  }

  /** Its state. */
  get status(): TaskStatus {
    return this.#exit !== undefined ? "exited" : this.program.paused ? "paused" : "running";
  }

  /** Why it exited, once it has. */
  get exitReason(): string | undefined {
    return this.#exit;
  }

  /** As `GET /task` lists it. */
  info(): TaskInfo {
    return {
      id: this.id,
      name: this.name,
      status: this.status,
      ...(this.#exit !== undefined ? { exit_reason: this.#exit } : {}),
      log_dropped: this.log.dropped,
    };
  }
}

/** Options of a `TaskManager`. */
export interface TaskManagerOptions {
  /** Program sources by `program_type` (default: json runs; tar and wasm say not yet). */
  sources?: Record<string, TaskSource>;
  /** Lines each task's log keeps (default 10,000). */
  logLines?: number;
  /** Diagnostics of the tasks (libbpf warnings, lost events, exits). */
  diagnostic?: (line: string) => void;
}

/**
 * Many programs running at once in one process, each with its own loaded object and bounded
 * log; ids from 1. A task that dies stays listed as `exited` with its reason until stopped;
 * stopping releases everything it holds and removes it.
 */
export class TaskManager {
  #tasks = new Map<number, Task>();
  #nextId = 1;
  #sources: Record<string, TaskSource>;
  #logLines: number;
  #diagnostic: (line: string) => void;

  /** An empty manager. */
  constructor(opts: TaskManagerOptions = {}) {
    this.#sources = opts.sources ?? defaultSources();
    this.#logLines = opts.logLines ?? DEFAULT_LOG_LINES;
    this.#diagnostic = opts.diagnostic ?? ((line) => console.error(line));
  }

  /** The `program_type`s this manager knows. */
  get types(): string[] {
    return Object.keys(this.#sources);
  }

  /** Starts a program; throws with one line (nothing left loaded) when it cannot. */
  async start(spec: TaskSpec): Promise<Task> {
    const source = this.#sources[spec.type];
    if (!source) throw new TaskError(`program_type ${spec.type} is not supported`);
    const name = spec.name ?? `bpf-program-${Math.floor(Date.now() / 1000)}`;
    const log = new TaskLog(this.#logLines);
    const id = this.#nextId++;
    let program: Runnable;
    try {
      program = await source(spec.bytes, {
        args: spec.args ?? [],
        exportJson: spec.exportJson ?? false,
        btfArchivePath: spec.btfArchivePath,
        log,
        diagnostic: (line) => this.#diagnostic(`task ${id} (${name}): ${line}`),
      });
    } catch (e) {
      // A failed start gives its id back unless a later start took the next one meanwhile.
      if (this.#nextId === id + 1) this.#nextId = id;
      throw e;
    }
    const task = new Task(id, name, log, program);
    program.done.catch((e) =>
      this.#diagnostic(`task ${id} (${name}): exited: ${(e as Error)?.message ?? e}`)
    );
    this.#tasks.set(id, task);
    return task;
  }

  /** The task with `id`; throws 404 `Invalid handle: N` when there is none. */
  get(id: number): Task {
    const t = this.#tasks.get(id);
    if (!t) throw new TaskError(`Invalid handle: ${id}`, 404);
    return t;
  }

  /** Every task, by id. */
  list(): TaskInfo[] {
    return [...this.#tasks.values()].map((t) => t.info());
  }

  /** Pauses a task: its programs are detached, its object stays loaded. */
  pause(id: number): Promise<TaskStatus> {
    return this.#control(id, "pause", (p) => p.pause());
  }

  /** Resumes a paused task: its programs are attached again. */
  resume(id: number): Promise<TaskStatus> {
    return this.#control(id, "resume", (p) => p.resume());
  }

  async #control(
    id: number,
    what: string,
    action: (p: Runnable) => Promise<void>,
  ): Promise<TaskStatus> {
    const t = this.get(id);
    try {
      await action(t.program);
    } catch (e) {
      throw new TaskError(`Failed to ${what}: ${(e as Error).message}`);
    }
    return t.status;
  }

  /** Stops a task (running, paused or exited), waits until it is released, and removes it. */
  async stop(id: number): Promise<void> {
    const t = this.get(id);
    this.#tasks.delete(id);
    t.program.stop();
    await t.program.done.catch(() => {});
  }

  /** Stops every task and waits until all are released. */
  async stopAll(): Promise<void> {
    await Promise.all([...this.#tasks.keys()].map((id) => this.stop(id)));
  }
}
