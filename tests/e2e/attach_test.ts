/**
 * Attach types beyond tracepoints, end to end: the kprobe/kretprobe, fentry/fexit and LSM
 * examples are compiled, run with `ecli run --json`, triggered by uniquely named binaries,
 * their decoded events checked field by field, and nothing of theirs may stay loaded after
 * SIGINT. Each test needs its kernel feature (tests/support/features.ts): it skips with the
 * reason where the feature is missing, and fails where `ECLI_REQUIRE_FEATURES` says it exists.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type BackgroundRun, runCli, startRun, waitFor } from "../support/cli.ts";
import { compileExample } from "../support/build.ts";
import { type Feature, featureMissing, featureTest } from "../support/features.ts";
import {
  bpfProgramIdsOf,
  hasPerfEventLinks,
  kernelSkipReason,
  loadedProgramIds,
  scratchDir,
  trigger,
  uniqueCopy,
} from "../support/kernel.ts";

const work = mkdtempSync(join(tmpdir(), "ecli-attach-e2e-"));

/** TCG guests run JS ~15× slower than the host: generous waits, still bounded. */
const EVENT_WAIT_MS = 20_000;

function jsonLines(text: string): Record<string, unknown>[] {
  return text.split("\n").filter((l) => l.trim()).map((l) => JSON.parse(l));
}

/** Runs a command to completion, keeping its stderr (to assert the error it reports). */
async function triggerWithStderr(
  cmd: string,
  args: string[],
): Promise<{ pid: number; code: number; stderr: string }> {
  const child = new Deno.Command(cmd, { args, stdout: "null", stderr: "piped" }).spawn();
  const out = await child.output();
  return { pid: child.pid, code: out.code, stderr: new TextDecoder().decode(out.stderr) };
}

/** Starts `ecli run PKG --json ARGS…`; resolves once attached, with our program ids. */
async function start(
  pkg: string,
  args: string[],
  programs: number,
): Promise<{ run: BackgroundRun; ours: number[] }> {
  const run = startRun([pkg, "--json", ...args]);
  await run.attached;
  const ours = bpfProgramIdsOf(run.pid);
  assert.equal(ours.length, programs, `${programs} programs loaded while running`);
  return { run, ours };
}

/** Stops the run with SIGINT; asserts a clean exit and that none of `ours` stays loaded. */
async function stop(run: BackgroundRun, ours: number[]): Promise<Record<string, unknown>[]> {
  const r = await run.stop("SIGINT");
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(loadedProgramIds().filter((id) => ours.includes(id)), [], "left loaded");
  return jsonLines(r.stdout);
}

/** Unlinks an existing and a missing file with a uniquely named `rm`; returns both calls. */
async function unlinkBoth(prefix: string) {
  const rm = uniqueCopy("/bin/rm", prefix);
  const dir = scratchDir();
  const existing = join(dir, "victim");
  const missing = join(dir, "never-there");
  writeFileSync(existing, "x");
  const ok = await trigger(rm.path, [existing]);
  const bad = await trigger(rm.path, [missing]);
  assert.equal(ok.code, 0, "rm of an existing file succeeds");
  assert.equal(bad.code, 1, "rm of a missing file fails");
  assert.ok(!existsSync(existing));
  return { rm, existing, missing, ok, bad };
}

featureTest(
  "unlinksnoop (kprobe + kretprobe): path from entry, result from return",
  "kprobe",
  async () => {
    const pkg = await compileExample("unlinksnoop", work);
    const { run, ours } = await start(pkg, [], 2);
    const t = await unlinkBoth("ksmark");
    await waitFor(run, (o) => o.includes(t.missing), EVENT_WAIT_MS);
    const mine = (await stop(run, ours)).filter((e) => e.comm === t.rm.comm);
    assert.deepEqual(mine, [
      { pid: t.ok.pid, ret: 0, comm: t.rm.comm, filename: t.existing },
      { pid: t.bad.pid, ret: -2, comm: t.rm.comm, filename: t.missing },
    ]);
  },
);

featureTest(
  "unlinklat (fentry + fexit): arguments, result and latency in one event",
  "fentry",
  async () => {
    const pkg = await compileExample("unlinklat", work);
    const { run, ours } = await start(pkg, [], 2);
    const t = await unlinkBoth("flmark");
    await waitFor(run, (o) => o.includes(t.missing), EVENT_WAIT_MS);
    const mine = (await stop(run, ours)).filter((e) => e.comm === t.rm.comm);
    assert.deepEqual(
      mine.map((e) => ({ ...e, latency_ns: typeof e.latency_ns })),
      [
        { pid: t.ok.pid, ret: 0, latency_ns: "number", comm: t.rm.comm, filename: t.existing },
        { pid: t.bad.pid, ret: -2, latency_ns: "number", comm: t.rm.comm, filename: t.missing },
      ],
    );
    for (const e of mine) assert.ok((e.latency_ns as number) > 0, `latency of ${e.filename}`);
  },
);

featureTest(
  "mkdirguard (LSM): the flagged name is refused with EPERM, others pass",
  "lsm",
  async () => {
    const pkg = await compileExample("mkdirguard", work);
    const mkdir = uniqueCopy("/bin/mkdir", "mgmark");
    const deniedName = `deny${Deno.pid % 100000}`;
    const dir = scratchDir();
    const denied = join(dir, deniedName);
    const allowed = join(dir, `${deniedName}x`);
    const { run, ours } = await start(pkg, ["--denied_name", deniedName], 1);
    const no = await triggerWithStderr(mkdir.path, [denied]);
    const yes = await triggerWithStderr(mkdir.path, [allowed]);
    await waitFor(run, (o) => o.includes(`"${deniedName}x"`), EVENT_WAIT_MS);
    const mine = (await stop(run, ours)).filter((e) => e.comm === mkdir.comm);
    assert.equal(no.code, 1, "mkdir of the denied name fails");
    assert.match(no.stderr, /Operation not permitted/);
    assert.ok(!existsSync(denied));
    assert.deepEqual([yes.code, yes.stderr], [0, ""]);
    assert.ok(existsSync(allowed));
    assert.deepEqual(mine, [
      { pid: no.pid, comm: mkdir.comm, name: deniedName, denied: true },
      { pid: yes.pid, comm: mkdir.comm, name: `${deniedName}x`, denied: false },
    ]);
    // With the program gone the kernel no longer refuses the name.
    const after = await triggerWithStderr(mkdir.path, [denied]);
    assert.deepEqual([after.code, after.stderr], [0, ""]);
  },
);

// Where a feature is missing (the host VM lacks all three), the example must fail the way a
// user sees it: one line naming the program and what the kernel lacks, exit 1.
const EXPECTED: [string, Feature, RegExp][] = [
  ["unlinksnoop", "kprobe", /SEC\("kprobe\/__x64_sys_unlinkat"\)\): this kernel has no kprobe/],
  ["unlinklat", "fentry", /SEC\("fentry\/__x64_sys_unlinkat"\)\) of BPF object .*: this kernel/],
  ["mkdirguard", "lsm", /SEC\("lsm\/path_mkdir"\)\).*: (this kernel refuses|the BPF LSM is not)/],
];
for (const [name, feature, message] of EXPECTED) {
  const skip = kernelSkipReason() ?? (featureMissing(feature) ? undefined : `${feature} present`);
  Deno.test({
    name: `${name} without ${feature}: one clear error line, exit 1` +
      (skip ? ` (skipped: ${skip})` : ""),
    ignore: skip !== undefined,
    async fn() {
      const pkg = await compileExample(name, work);
      const r = await runCli(["run", pkg]);
      assert.equal(r.code, 1);
      assert.equal(r.stdout, "");
      assert.match(r.stderr, /^ecli: error: Cannot (attach|load) program '[a-z_]+' \(SEC[^\n]*\n$/);
      assert.match(r.stderr, message);
    },
  });
}

/** Links (any kind) whose program is one of `ours` (`bpftool link list`). */
function linksOf(ours: number[]): number[] {
  const r = spawnSync("bpftool", ["-j", "link", "list"], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`bpftool link list: ${r.stderr}`);
  return (JSON.parse(r.stdout) as { id: number; prog_id: number }[])
    .filter((l) => ours.includes(l.prog_id)).map((l) => l.id);
}

/**
 * Start → attach → stop cycles of the kprobe and fentry examples over SIGINT, SIGTERM and
 * SIGKILL (kernel links die with their fds, so even a killed run leaves nothing): afterwards
 * none of the run's programs or links is in the kernel. Few cycles: each start under TCG costs
 * seconds; the host's lifecycle test runs the many.
 */
for (
  const [example, feature] of [["unlinksnoop", "kprobe"], ["unlinklat", "fentry"]] as const
) {
  featureTest(
    `${example} (${feature}) lifecycle: SIGINT, SIGTERM, SIGKILL leave nothing`,
    feature,
    async () => {
      const pkg = await compileExample(example, work);
      for (const signal of ["SIGINT", "SIGTERM", "SIGKILL"] as const) {
        const { run, ours } = await start(pkg, [], 2);
        // Before 5.15 kprobes attach without a link (a perf event ioctl): none to count then.
        const linked = hasPerfEventLinks() || feature === "fentry" ? 2 : 0;
        assert.equal(linksOf(ours).length, linked, `${signal}: links while running`);
        const r = await run.stop(signal);
        assert.equal(r.code, signal === "SIGKILL" ? 137 : 0, r.stderr);
        // A killed process's fds close as it dies; the kernel then frees programs and links.
        const end = Date.now() + 10_000;
        while (Date.now() < end && loadedProgramIds().some((id) => ours.includes(id))) {
          await new Promise((r) => setTimeout(r, 100));
        }
        assert.deepEqual(loadedProgramIds().filter((id) => ours.includes(id)), [], signal);
        assert.deepEqual(linksOf(ours), [], `${signal}: links left`);
      }
    },
  );
}
