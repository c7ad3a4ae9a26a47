import type { MapHandle } from "../handler/mod.ts";
import type { GeneratedDecoder } from "../decode/mod.ts";
import { Symbolizer } from "../symbols/mod.ts";
import { planDecoders } from "./stacks.ts";
import type { Package } from "../package/mod.ts";
import type { ExportPlan } from "./exports.ts";
import { mapHandles } from "./maps.ts";
import { MemoryOutput } from "./output.ts";
import { type RunningProgram, type RunSummary, type StartOptions, startProgram } from "./runner.ts";

/** One sampling round of a sampled map, as `run()`'s iterator yields it. */
export interface SampleRound {
  /** The sampled map. */
  map: string;
  /** Its entries, decoded. */
  entries: { key: unknown; value: unknown }[];
}

/** Options of `run()`. */
export interface ProgramOptions extends Omit<StartOptions, "consumer" | "out" | "format"> {
  /** Program flags as on the command line (`["--pid", "42"]`). */
  args?: string[];
  /** Events held until the iterator asks for them; more are dropped and counted (default 10000). */
  queueLimit?: number;
}

/**
 * A package running in the kernel, as the programmatic API gives it: an async iterable of
 * decoded events (ring/perf buffers) and `SampleRound`s (sampled maps), with its maps and flag
 * values; `await using` (or `stop()`) detaches it.
 */
export class Program implements AsyncIterable<unknown>, AsyncDisposable {
  /** Events dropped because the consumer fell behind by more than `queueLimit`. */
  dropped = 0;
  /** Every BTF-defined map of the object, by name. */
  maps: Record<string, MapHandle> = {};
  #queue: unknown[] = [];
  #waiters: ((r: IteratorResult<unknown>) => void)[] = [];
  #running!: RunningProgram;
  #ended = false;
  #limit: number;

  /** @internal Use `run()`. */
  constructor(limit: number) {
    this.#limit = limit;
  }

  /** @internal */
  attach(running: RunningProgram): void {
    this.#running = running;
    running.done.finally(() => {
      this.#ended = true;
      for (const w of this.#waiters.splice(0)) w({ value: undefined, done: true });
    }).catch(() => {});
  }

  /** The object's name. */
  get name(): string {
    return this.#running.name;
  }

  /** The program's flag values (variable name → decoded value). */
  get args(): Record<string, unknown> {
    return this.#running.args;
  }

  /** Resolves with the summary after teardown; rejects with the error that ended the run. */
  get done(): Promise<RunSummary> {
    return this.#running.done;
  }

  /** @internal Called by the consumer. */
  push(value: unknown): void {
    const w = this.#waiters.shift();
    if (w) w({ value, done: false });
    else if (this.#queue.length < this.#limit) this.#queue.push(value);
    else this.dropped++;
  }

  /** Ends the run; iteration finishes after the queued events. */
  stop(): void {
    this.#running.stop();
  }

  /** Yields events as they come; ends when the run ends. */
  [Symbol.asyncIterator](): AsyncIterator<unknown> {
    return {
      next: () => {
        if (this.#queue.length) return Promise.resolve({ value: this.#queue.shift(), done: false });
        if (this.#ended) return Promise.resolve({ value: undefined, done: true });
        return new Promise((r) => this.#waiters.push(r));
      },
      return: async () => {
        this.stop();
        await this.done.catch(() => {});
        return { value: undefined, done: true };
      },
    };
  }

  /** Stops and waits for teardown. */
  async [Symbol.asyncDispose](): Promise<void> {
    this.stop();
    await this.done.catch(() => {});
  }
}

/**
 * Loads and attaches a package and returns it as an async iterable of its events.
 *
 * ```ts
 * await using prog = await run(await loadPackage("package.json"), { args: ["--pid", "42"] });
 * for await (const event of prog) console.log(event);
 * ```
 */
export async function run(pkg: Package, opts: ProgramOptions = {}): Promise<Program> {
  const program = new Program(opts.queueLimit ?? 10_000);
  const running = await startProgram(pkg, {
    ...opts,
    programArgs: opts.args ?? opts.programArgs,
    out: new MemoryOutput(),
    log: opts.log ?? (() => {}),
    consumer: (setup) => {
      program.maps = mapHandles(setup);
      const decoders = new Map<ExportPlan, [GeneratedDecoder, GeneratedDecoder?]>();
      const symbols = new Symbolizer();
      const decoder = (plan: ExportPlan) => {
        let d = decoders.get(plan);
        if (!d) {
          const { value, key } = planDecoders(plan, setup, symbols);
          d = [value, key];
          decoders.set(plan, d);
        }
        return d;
      };
      return {
        record: (plan, bytes) => program.push(decoder(plan)[0](bytes)),
        recordAt: (plan, view, offset, length) =>
          program.push(decoder(plan)[0].at(view, offset, length)),
        sample: (plan, entries) => {
          const [value, key] = decoder(plan);
          program.push(
            {
              map: plan.map.name,
              entries: entries.map(([k, v]) => ({ key: key!(k), value: value(v) })),
            } satisfies SampleRound,
          );
        },
      };
    },
  });
  program.attach(running);
  return program;
}
