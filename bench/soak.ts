/**
 * `deno task soak [--minutes 10] [--warmup 60] [--modes json,noop,slow]`: a flood soak. For
 * each mode a getpid generator runs flat out (one ring-buffer record per call, the event
 * benchmark's program) into its own `dist/ecli run`: `--json` into `wc -l`, or a handler of
 * `soak/`: `noop` (counts), `slow` (async), `view` and `batch` (the zero-copy forms, reading the
 * benchmark's fields). The modes run at the same time, each with its own object and counters. Every
 * second the RSS of each ecli is sampled; at the end the generator stops, the kernel's counters
 * (`hits`: records seen, `drops`: ring full) are read, ecli is stopped and what it delivered
 * plus what it said it dropped must equal what the kernel submitted (hits − drops).
 *
 * Flat RSS, the bound: after the warm-up, the highest sample of the second half may exceed the
 * highest sample of the first half by at most 10 MB or 10 %, whichever is more (growth without
 * bound would show there; the slow handler's queue of up to 10,000 events swings ~±20 MB).
 * @module
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { compile } from "../compile/mod.ts";
import {
  buildHostTool,
  GETPID_GENERATOR,
  kernelSkipReason,
  startGenerator,
} from "../tests/support/kernel.ts";
import { ensureBinary } from "../tools/build.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    minutes: { type: "string", default: "10" },
    warmup: { type: "string", default: "60" },
    modes: { type: "string", default: "json,noop,slow" },
  },
});
const skip = kernelSkipReason();
if (skip) {
  console.error(`soak: cannot run: ${skip}`);
  Deno.exit(1);
}
const seconds = Number(values.minutes) * 60;
const warmup = Math.min(Number(values.warmup), seconds / 4);
const SRC = new URL("./events", import.meta.url).pathname;
const HANDLERS = new URL("./soak", import.meta.url).pathname;
const GROWTH_MB = 10;

const dir = mkdtempSync(join(tmpdir(), "ecli-soak-"));
const bin = ensureBinary();
const built = await compile({
  source: `${SRC}/events.bpf.c`,
  exportHeader: `${SRC}/event.h`,
  outputDir: dir,
  log: () => {},
});
const genExe = buildHostTool("ecli_soak_gen", GETPID_GENERATOR);

interface Mode {
  name: string;
  gen: ReturnType<typeof startGenerator>;
  shell: Deno.ChildProcess;
  ecli: number;
  countFile: string;
  rssMb: number[];
  stderr: Promise<string>;
}

/** The pid of the `ecli` a bash pipeline started (its child whose comm is `ecli`). */
async function ecliChild(shellPid: number): Promise<number> {
  for (let i = 0; i < 200; i++) {
    for (const t of Deno.readDirSync(`/proc/${shellPid}/task`)) {
      const kids = readFileSync(`/proc/${shellPid}/task/${t.name}/children`, "utf8").trim();
      for (const k of kids ? kids.split(" ").map(Number) : []) {
        if (readFileSync(`/proc/${k}/comm`, "utf8").trim() === "ecli") return k;
      }
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error("soak: ecli did not start");
}

function rssMb(pid: number): number {
  const m = readFileSync(`/proc/${pid}/status`, "utf8").match(/^VmRSS:\s+(\d+) kB/m);
  return m ? Number(m[1]) / 1024 : NaN;
}

/** `hits` and `drops` of the object ecli `pid` loaded, from its `.bss` map (bpftool). */
function kernelCounters(pid: number): { hits: number; drops: number } {
  for (const fd of Deno.readDirSync(`/proc/${pid}/fdinfo`)) {
    let info: string;
    try {
      info = readFileSync(`/proc/${pid}/fdinfo/${fd.name}`, "utf8");
    } catch {
      continue;
    }
    const id = info.match(/^map_id:\s+(\d+)$/m)?.[1];
    if (!id) continue;
    const show = new Deno.Command("bpftool", { args: ["-j", "map", "show", "id", id] })
      .outputSync();
    if (!/"name":"events_b\.bss"|"name":"\.bss"/.test(new TextDecoder().decode(show.stdout))) {
      continue;
    }
    const dump = new Deno.Command("bpftool", { args: ["-j", "map", "dump", "id", id] })
      .outputSync();
    const text = new TextDecoder().decode(dump.stdout);
    const hits = text.match(/"hits":\s*(\d+)/)?.[1];
    const drops = text.match(/"drops":\s*(\d+)/)?.[1];
    if (hits !== undefined && drops !== undefined) {
      return { hits: Number(hits), drops: Number(drops) };
    }
  }
  throw new Error(`soak: no .bss map with hits/drops in ecli ${pid}`);
}

async function start(name: string): Promise<Mode> {
  const gen = startGenerator(genExe);
  const countFile = join(dir, `${name}.count`);
  const extra = name === "json" ? ["--json"] : ["--handler", join(HANDLERS, `${name}.ts`)];
  const sink = name === "json" ? `| wc -l > ${countFile}` : "> /dev/null";
  const shell = new Deno.Command("bash", {
    args: [
      "-c",
      `exec 3>&2; "$0" run ${extra.map((a) => `'${a}'`).join(" ")} "$1" --target_pid "$2" ${sink}`,
      bin,
      built.files.package!,
      String(gen.pid),
    ],
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const stderr = new Response(shell.stderr).text();
  const ecli = await ecliChild(shell.pid);
  return { name, gen, shell, ecli, countFile, rssMb: [], stderr };
}

const modes = await Promise.all(values.modes.split(",").map(start));
await new Promise((r) => setTimeout(r, 1000));
console.log(`soak: ${modes.length} floods for ${seconds} s (warm-up ${warmup} s), ecli ${bin}`);
let flooding = true;
const floods = modes.map(async (m) => {
  while (flooding) await m.gen.round(200_000);
});
const t0 = Date.now();
while (Date.now() - t0 < seconds * 1000) {
  for (const m of modes) m.rssMb.push(rssMb(m.ecli));
  await new Promise((r) => setTimeout(r, 1000));
}
flooding = false;
await Promise.all(floods);
await new Promise((r) => setTimeout(r, 2000)); // drain

let ok = true;
for (const m of modes) {
  const k = kernelCounters(m.ecli);
  Deno.kill(m.ecli, "SIGINT");
  await m.shell.status;
  await m.gen.close();
  const err = await m.stderr;
  const delivered = m.name === "json"
    ? Number(readFileSync(m.countFile, "utf8").trim())
    : Number(err.match(/soak: handled (\d+)/)?.[1] ?? NaN);
  const dropped = Number(err.match(/ecli: (\d+) events dropped/)?.[1] ?? 0);
  const samples = m.rssMb.slice(warmup);
  const half = Math.floor(samples.length / 2);
  const first = Math.max(...samples.slice(0, half));
  const second = Math.max(...samples.slice(half));
  const minute = (i: number) => m.rssMb.slice(i * 60, i * 60 + 60);
  const perMinute = Array.from(
    { length: Math.ceil(m.rssMb.length / 60) },
    (_, i) => Math.round(Math.max(...minute(i))),
  );
  const flat = second <= Math.max(first + GROWTH_MB, first * 1.1);
  const accounted = delivered + dropped === k.hits - k.drops;
  ok &&= flat && accounted;
  console.log(
    `${m.name}: kernel ${k.hits} records seen, ${k.drops} dropped (ring full); ecli delivered ` +
      `${delivered}, dropped ${dropped} (handler queue): ${
        accounted ? "every submitted record accounted for" : "MISMATCH"
      }`,
  );
  console.log(
    `${m.name}: RSS MB, max per minute: ${perMinute.join(" ")}; after warm-up first half max ` +
      `${first.toFixed(1)}, second half max ${second.toFixed(1)}: ${
        flat ? "flat" : "GROWING"
      } (bound +${GROWTH_MB} MB or +10 %)`,
  );
}
rmSync(dir, { recursive: true, force: true });
Deno.exit(ok ? 0 : 1);
