import { readFileSync } from "node:fs";
import { z } from "zod";
import { Errno, ffi, Perf, type Pointer, samplingPerfAttr } from "../../ffi/mod.ts";
import type { ProgMeta } from "../package/mod.ts";
import type { Attachment } from "./attach.ts";
import { LoaderError, strerror } from "./errors.ts";
import type { LibbpfLog } from "./libbpf_log.ts";

/** The events a `perf_event` program can sample on. */
export const SAMPLING_EVENTS = {
  /** Software timer: works everywhere, in guests without a PMU too. */
  "cpu-clock": { type: Perf.TYPE_SOFTWARE, config: Perf.COUNT_SW_CPU_CLOCK },
  /** Hardware CPU cycles (upstream's choice); needs a PMU. */
  cycles: { type: Perf.TYPE_HARDWARE, config: Perf.COUNT_HW_CPU_CYCLES },
} as const;

/** How a `perf_event` program samples: the `@perf` annotation, overridden by `--freq`/`--period`. */
export const PerfSamplingSchema = z.strictObject({
  event: z.enum(Object.keys(SAMPLING_EVENTS) as [keyof typeof SAMPLING_EVENTS]).default(
    "cpu-clock",
  ),
  freq: z.number().int().positive().optional(),
  period: z.number().int().positive().optional(),
});

/** Sampling settings of a `perf_event` program. */
export type PerfSampling = z.infer<typeof PerfSamplingSchema>;

/** Samples per second when neither the source nor the command line says. */
export const DEFAULT_PERF_FREQ = 99;

/**
 * The sampling of one program: `override` (command line) over the program entry's `perf`
 * annotation (`/// @perf {"freq": 99}`) over 99 Hz of cpu-clock. A frequency and a period
 * exclude each other; the command line's choice replaces the annotation's.
 */
export function perfSampling(prog: ProgMeta, override: Partial<PerfSampling> = {}): PerfSampling {
  const r = PerfSamplingSchema.safeParse(prog.perf ?? {});
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new LoaderError(
      `program '${prog.name}': @perf ${issue.path.join(".") || ""}: ${issue.message}`.replace(
        "@perf :",
        "@perf:",
      ),
    );
  }
  const s = r.data;
  if (s.freq !== undefined && s.period !== undefined) {
    throw new LoaderError(`program '${prog.name}': @perf has both freq and period; give one`);
  }
  const rate = override.freq !== undefined || override.period !== undefined
    ? { freq: override.freq, period: override.period }
    : s.freq !== undefined || s.period !== undefined
    ? { freq: s.freq, period: s.period }
    : { freq: DEFAULT_PERF_FREQ, period: undefined };
  return { event: override.event ?? s.event, ...rate };
}

function onlineCpus(): number[] {
  const out: number[] = [];
  for (const part of readFileSync("/sys/devices/system/cpu/online", "utf8").trim().split(",")) {
    const [lo, hi = lo] = part.split("-").map(Number);
    for (let c = lo; c <= hi; c++) out.push(c);
  }
  return out;
}

/** One perf event per online CPU with the program attached to each; detach closes them all. */
class PerfEventAttachment implements Attachment {
  readonly kind = "perf_event";
  #links: Pointer[];
  constructor(readonly program: string, links: Pointer[], readonly cpus: number[]) {
    this.#links = links;
  }
  detach(): string | undefined {
    const problems: string[] = [];
    // libbpf's perf link owns its perf event fd: destroying the link disables and closes it.
    for (const link of this.#links.splice(0)) {
      const r = ffi().libbpf.bpf_link__destroy(link);
      if (r < 0) problems.push(strerror(r));
    }
    return problems.length ? `perf links of '${this.program}': ${problems.join("; ")}` : undefined;
  }
}

/**
 * Opens a sampling perf event on every online CPU (all processes) and attaches the
 * `perf_event` program to each. Any failure closes what was opened so far.
 */
export function attachPerfEvent(
  program: Pointer,
  prog: ProgMeta,
  sampling: PerfSampling,
  log: LibbpfLog,
): Attachment {
  const backend = ffi();
  const { libbpf, libc } = backend;
  const attr = samplingPerfAttr({
    ...SAMPLING_EVENTS[sampling.event],
    freq: sampling.freq,
    period: sampling.period,
  });
  const cpus = onlineCpus();
  const links: Pointer[] = [];
  const fail = (e: LoaderError) => {
    for (const l of links) libbpf.bpf_link__destroy(l);
    return e;
  };
  for (const cpu of cpus) {
    const fd = Number(
      libc.perf_event_open(Perf.SYSCALL, attr, -1, cpu, -1, Perf.FLAG_FD_CLOEXEC),
    );
    if (fd < 0) {
      const err = backend.errno();
      const why = sampling.event === "cycles" && (err === Errno.ENOENT || err === Errno.EOPNOTSUPP)
        ? " (no hardware PMU here: use the cpu-clock event)"
        : "";
      throw fail(
        new LoaderError(
          `Cannot open the ${sampling.event} perf event on CPU ${cpu} for '${prog.name}': ${
            strerror(-err)
          }${why}`,
          undefined,
          err,
        ),
      );
    }
    let err = 0;
    const link = log.run(() => {
      const l = libbpf.bpf_program__attach_perf_event(program, fd);
      err = l === null ? backend.errno() : 0;
      return l;
    }, (l) => l === null);
    if (link === null) {
      libc.close(fd);
      throw fail(
        new LoaderError(
          `Failed to attach perf_event program '${prog.name}' on CPU ${cpu}: ${strerror(-err)}`,
          log.text(),
          err,
        ),
      );
    }
    links.push(link);
  }
  return new PerfEventAttachment(prog.name, links, cpus);
}
