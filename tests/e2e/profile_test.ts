/**
 * Profiling end to end: the `profile` example (a perf_event program on cpu-clock, stack ids
 * in a STACK_TRACE map, counts in a sampled hash map) samples a busy-loop program built here
 * with frame pointers. The busy loop's function must appear in the user stacks and a kernel
 * function in the kernel stacks, in folded output (checked by a folded-stack parser written
 * here), in upstream's plain text and as frame objects in JSON.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { compileExample } from "../support/build.ts";
import { runCli, sleep, startRun } from "../support/cli.ts";
import { bpfProgramIdsOf, hostKernelTest, loadedProgramIds } from "../support/kernel.ts";

const work = mkdtempSync(join(tmpdir(), "ecli-profile-e2e-"));

/** Spins in `spin_marker_fn`, entering the kernel (getppid) on every iteration. */
const SPIN = `
#include <unistd.h>
#include <sys/syscall.h>
volatile unsigned long sink;
__attribute__((noinline)) void spin_marker_fn(void)
{
	for (unsigned long i = 0;; i++) {
		sink += i;
#ifdef __x86_64__
		long ret; /* the syscall instruction inline: the user stack's leaf is this function */
		__asm__ volatile("syscall" : "=a"(ret) : "a"(SYS_getppid) : "rcx", "r11", "memory");
#else
		syscall(SYS_getppid);
#endif
	}
}
int main(void) { spin_marker_fn(); return 0; }
`;

/** Builds the busy loop under a unique name (its comm). */
function buildSpin(): { path: string; comm: string } {
  const comm = `spin${Deno.pid % 100000}`;
  const path = join(work, comm);
  writeFileSync(`${path}.c`, SPIN);
  const r = spawnSync("clang", ["-g", "-O0", "-fno-omit-frame-pointer", "-o", path, `${path}.c`], {
    encoding: "utf8",
  });
  if (r.status !== 0) throw new Error(`clang spin.c: ${r.stderr}`);
  return { path, comm };
}

/** One folded line: frames root first, and a sample count. */
interface FoldedLine {
  frames: string[];
  count: number;
}

/**
 * Parses folded stacks as flamegraph.pl does (`frame;frame;… COUNT`, split at the last
 * space), rejecting empty frames, a missing or non-integer count and blank lines.
 */
function parseFolded(text: string): FoldedLine[] {
  const lines = text.split("\n");
  assert.equal(lines.pop(), "", "folded output ends with a newline");
  return lines.map((line, i) => {
    const m = /^(.+) (\d+)$/.exec(line);
    assert.ok(m, `line ${i + 1} is not 'stack count': ${JSON.stringify(line)}`);
    const frames = m[1].split(";");
    assert.ok(frames.every((f) => f.length > 0), `line ${i + 1} has an empty frame: ${line}`);
    const count = Number(m[2]);
    assert.ok(count > 0, `line ${i + 1} counts ${count}`);
    return { frames, count };
  });
}

const pkg = compileExample("profile", work);

async function profile(args: string[]) {
  const spin = buildSpin();
  const child = new Deno.Command(spin.path, { stdout: "null", stderr: "null" }).spawn();
  try {
    const r = await runCli(["run", await pkg, "--targ_pid", String(child.pid), ...args]);
    assert.equal(r.code, 0, r.stderr);
    return { ...r, spin, pid: child.pid };
  } finally {
    child.kill("SIGKILL");
    await child.status;
  }
}

/** utime + stime of a process, in ms (/proc/PID/stat fields 14 and 15, USER_HZ = 100). */
function cpuTimeMs(pid: number): number {
  const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(f[11]) + Number(f[12])) * 10;
}

hostKernelTest(
  "profile --folded: samples match the busy loop's CPU time, user and kernel frames",
  async () => {
    const spin = buildSpin();
    const child = new Deno.Command(spin.path, { stdout: "null", stderr: "null" }).spawn();
    let stdout = "", sampledMs = 0, ours: number[] = [];
    try {
      // Held stopped until attached: every CPU ms it then spends is sampled.
      Deno.kill(child.pid, "SIGSTOP");
      const run = startRun([
        await pkg,
        "--folded",
        "--period",
        "2000000", // 2 ms of cpu-clock
        "--targ_pid",
        String(child.pid),
      ]);
      await run.attached;
      ours = bpfProgramIdsOf(run.pid);
      const t0 = cpuTimeMs(child.pid);
      Deno.kill(child.pid, "SIGCONT");
      // Until it has had 300 ms of CPU (a loaded machine gives it less than a core), at most 8 s.
      for (const end = Date.now() + 8000; Date.now() < end && cpuTimeMs(child.pid) - t0 < 300;) {
        await sleep(100);
      }
      Deno.kill(child.pid, "SIGSTOP");
      sampledMs = cpuTimeMs(child.pid) - t0;
      const r = await run.stop("SIGINT");
      assert.equal(r.code, 0, r.stderr);
      stdout = r.stdout;
      assert.equal(ours.length, 1, "the perf_event program was loaded");
      assert.deepEqual(loadedProgramIds().filter((id) => ours.includes(id)), [], "left loaded");
    } finally {
      child.kill("SIGKILL");
      await child.status;
    }
    const lines = parseFolded(stdout);
    assert.ok(lines.every((l) => l.frames[0] === spin.comm), "only the target process is sampled");
    const both = lines.find((l) => {
      const at = l.frames.indexOf("spin_marker_fn");
      return at > 0 && l.frames[at - 1] === "main" &&
        l.frames.slice(at + 1).some((f) => f.endsWith("_[k]"));
    });
    assert.ok(both, `a stack main;spin_marker_fn;<kernel frames>:\n${stdout}`);
    // Kernel frames come after user frames, and only there.
    for (const l of lines) {
      const k = l.frames.findIndex((f) => f.endsWith("_[k]"));
      if (k >= 0) assert.ok(l.frames.slice(k).every((f) => f.endsWith("_[k]")), l.frames.join(";"));
    }
    // One sample per 2 ms of the process's CPU time (USER_HZ granularity: ±10 ms each end).
    const total = lines.reduce((n, l) => n + l.count, 0);
    const expected = sampledMs / 2;
    assert.ok(sampledMs >= 100, `the busy loop ran ${sampledMs} ms`);
    assert.ok(
      Math.abs(total - expected) <= expected * 0.25 + 10,
      `${total} samples for ${sampledMs} ms of CPU at one per 2 ms`,
    );
  },
);

hostKernelTest("profile prints upstream's stack text and JSON frames", async () => {
  const plain = await profile(["--duration", "1.2"]);
  assert.match(
    plain.stdout,
    new RegExp(`^COMM: ${plain.spin.comm} \\(pid=${plain.pid}\\) @ CPU \\d+$`, "m"),
  );
  assert.match(plain.stdout, /^Kernel:\n {2}0 \[<ffffffff[0-9a-f]{8}>\] \w+\+0x[0-9a-f]+$/m);
  assert.match(plain.stdout, /^Userspace:\n {2}0 \[<[0-9a-f]{16}>\] spin_marker_fn\+0x[0-9a-f]+$/m);
  assert.match(plain.stdout, /^value: \d+$/m);

  const json = await profile(["--json", "--duration", "1.2"]);
  type Frame = { addr: number; sym: string | null; offset: number; module: string | null };
  const rounds = json.stdout.trim().split("\n").map((l) =>
    JSON.parse(l) as { key: { pid: number; kstack_id: Frame[]; ustack_id: Frame[] } }
  );
  const user = rounds.flatMap((r) => r.key.ustack_id);
  const kernel = rounds.flatMap((r) => r.key.kstack_id);
  const fn = user.find((f) => f.sym === "spin_marker_fn");
  assert.ok(fn, json.stdout);
  assert.equal(fn.module, json.spin.path);
  assert.ok(fn.offset > 0 && fn.offset < 0x100, `offset ${fn.offset}`);
  assert.ok(kernel.some((f) => f.module === "kernel" && typeof f.sym === "string"));
  assert.ok(rounds.every((r) => r.key.pid === json.pid));

  // A handler gets the same frames in the sampled keys.
  const handler = join(work, "frames.ts");
  writeFileSync(
    handler,
    `export default {
  sample(entries: { key: { ustack_id: { sym: string | null; module: string }[] }; value: bigint }[]) {
    for (const { key, value } of entries) {
      const f = key.ustack_id.find((f) => f.sym === "spin_marker_fn");
      if (f) return \`\${f.module} \${typeof value}\`;
    }
  },
};
`,
  );
  const h = await profile(["--handler", handler, "--duration", "1.2"]);
  assert.match(h.stdout, new RegExp(`^${h.spin.path} (bigint|number)$`, "m"));
});

hostKernelTest(
  "--perf-event cycles: hardware samples with a PMU, one error line without",
  async () => {
    const r = await runCli(["run", await pkg, "--perf-event", "cycles", "--duration", "0.5"]);
    if (existsSync("/sys/bus/event_source/devices/cpu")) {
      assert.equal(r.code, 0, r.stderr);
    } else {
      assert.equal(r.code, 1);
      assert.equal(
        r.stderr,
        "ecli: error: Cannot open the cycles perf event on CPU 0 for 'do_sample': No such file " +
          "or directory (no hardware PMU here: use the cpu-clock event)\n",
      );
    }
  },
);
