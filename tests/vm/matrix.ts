/**
 * `deno task test:kernels`: the kernel suite (every test file declaring `kernelTest`/`featureTest`)
 * on the host and inside qemu guests booting Debian 5.10, 6.1, 6.12 and sid's 7.x, then a
 * test × kernel table. BPF objects are compiled once on the host (`ECLI_TEST_BUILD_CACHE`, a
 * fresh directory per run) and only loaded in the guests; the guests run the host's deno with
 * `--no-check` (`deno task check` type-checks on the host; under TCG it is ~10× slower). In the
 * guests the attach types they all support (kprobe, fentry/fexit, LSM) are required: a probe
 * saying otherwise fails the test instead of skipping it.
 *
 * Usage: `deno task test:kernels [--kernel host|5.10|6.1|6.12|7.x]... [--filter TEXT] [--jobs 2]
 * [--verbose]` (`--jobs 2`, the default: two VMs at a time, one CPU each). The last line is
 * `kernel matrix: N passed, N failed, N skipped`; the exit code is 1 when anything failed.
 * @module
 */
import { parseArgs } from "node:util";
import { existsSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import {
  BOOKWORM_6_1,
  BULLSEYE_5_10,
  cacheRoot,
  ensureHostTools,
  type KernelSpec,
  prepareKernel,
  SID_7,
  TRIXIE_6_12,
} from "./kernel.ts";
import { parseJunit, type TestOutcome } from "./junit.ts";
import { GUEST_JOB_DIR, reachedCommand, runInVm, type VmResult } from "./qemu.ts";
import { kernelSuiteFiles } from "./suite.ts";
import { buildBtfArchive } from "./btf_archive.ts";

/** Kernels of the matrix: Debian 5.10 / 6.1 / 6.12 / sid's 7.x (see kernel.ts). */
export const KERNELS: KernelSpec[] = [BULLSEYE_5_10, BOOKWORM_6_1, TRIXIE_6_12, SID_7];

/** Features every guest kernel of the matrix has (the host lacks them). */
export const GUEST_FEATURES = "kprobe,fentry,lsm";

/** One column of the table: where the suite ran and what came of it. */
export interface Column {
  /** "host" or the kernel label. */
  label: string;
  /** Kernel release it ran on. */
  release: string;
  wallMs: number;
  /** Per-test outcomes (empty when the run failed before any report). */
  outcomes: TestOutcome[];
  /** Why the run as a whole failed (guest panic, timeout, no report), if it did. */
  error?: string;
}

function row(cells: string[], widths: number[]): string {
  return "| " + cells.map((c, i) => c.padEnd(widths[i])).join(" | ") + " |";
}

/** A markdown table with `head` and `rows`, columns padded to their widest cell. */
export function markdownTable(head: string[], rows: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  return [
    row(head, widths),
    row(widths.map((w) => "-".repeat(w)), widths),
    ...rows.map((r) => row(r, widths)),
  ].join("\n");
}

/** The test × kernel table: one row per test seen anywhere, `-` where a column lacks it. */
export function matrixTable(columns: Column[]): string {
  // By name: JUnit files a test under the module that called Deno.test, which for kernelTest
  // and featureTest is the helper in tests/support, not the test file.
  const key = (o: TestOutcome) => o.name;
  const tests = [...new Set(columns.flatMap((c) => c.outcomes.map(key)))];
  const cells = columns.map((c) => new Map(c.outcomes.map((o) => [key(o), o.outcome])));
  const rows = tests.map((t) => [t, ...cells.map((m) => m.get(t) ?? "-")]);
  rows.push([
    "wall time",
    ...columns.map((c) => `${(c.wallMs / 1000).toFixed(0)} s${c.error ? " (FAILED)" : ""}`),
  ]);
  return markdownTable(["test", ...columns.map((c) => `${c.label} (${c.release})`)], rows);
}

/** Totals over all columns; a column that failed as a whole counts as one failure. */
export function totals(columns: Column[]): { passed: number; failed: number; skipped: number } {
  const all = columns.flatMap((c) => c.outcomes);
  return {
    passed: all.filter((o) => o.outcome === "pass").length,
    failed: all.filter((o) => o.outcome === "fail").length +
      columns.filter((c) => c.error).length,
    skipped: all.filter((o) => o.outcome === "skip").length,
  };
}

function testArgs(files: string[], junit: string, filter?: string): string[] {
  return [
    "test",
    "-A",
    "--no-check",
    `--junit-path=${junit}`,
    ...(filter ? ["--filter", filter] : []),
    ...files,
  ];
}

function readOutcomes(xml: string | undefined): { outcomes: TestOutcome[]; error?: string } {
  if (xml === undefined) return { outcomes: [], error: "no test report" };
  try {
    return { outcomes: parseJunit(xml) };
  } catch (e) {
    return { outcomes: [], error: String(e) };
  }
}

/** Runs the suite on the host (this also fills the build cache the guests read). */
async function hostColumn(
  files: string[],
  env: Record<string, string>,
  filter?: string,
): Promise<Column> {
  const junit = await Deno.makeTempFile({ suffix: ".xml" });
  const start = performance.now();
  const { code } = await new Deno.Command(Deno.execPath(), {
    args: testArgs(files, junit, filter),
    env,
    stdout: "inherit",
    stderr: "inherit",
  }).output();
  const wallMs = performance.now() - start;
  const r = readOutcomes(await Deno.readTextFile(junit).catch(() => undefined));
  await Deno.remove(junit);
  const failed = r.outcomes.some((o) => o.outcome === "fail");
  const error = r.error ?? (code !== 0 && !failed ? `deno test exited with ${code}` : undefined);
  return { label: "host", release: Deno.osRelease(), wallMs, ...r, error };
}

function releaseOf(r: VmResult): string {
  return r.output.match(/ECLI-VM: kernel (\S+)/)?.[1] ?? "?";
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      kernel: { type: "string", multiple: true },
      filter: { type: "string" },
      verbose: { type: "boolean", default: false },
      jobs: { type: "string", default: "2" },
    },
  });
  const wanted = values.kernel ?? [];
  const pick = (label: string) => wanted.length === 0 || wanted.includes(label);
  const kernels = KERNELS.filter((k) => pick(k.name));
  const root = Deno.cwd();
  const files = kernelSuiteFiles(root);
  // The binary e2e tests run the shipped executable: build it when a source changed.
  await new Deno.Command(Deno.execPath(), { args: ["run", "-A", "tools/build.ts", "--if-stale"] })
    .output();
  await Deno.mkdir(join(cacheRoot(), "test-build"), { recursive: true });
  const buildCache = await Deno.makeTempDir({ dir: join(cacheRoot(), "test-build") });
  const denoDir = Deno.env.get("DENO_DIR") ?? join(homedir(), ".cache", "deno");
  const env: Record<string, string> = {
    CI: "true",
    NO_COLOR: "1",
    ECLI_TEST_BUILD_CACHE: buildCache,
  };
  if (existsSync(denoDir)) env.DENO_DIR = denoDir;
  // A btfhub-layout archive of the kernels about to boot (and the host's), for the tailored
  // BTF tests: built before the host run, which makes package.tar files the guests load.
  await ensureHostTools();
  const archive = join(buildCache, "btfhub-archive");
  const prepared = await Promise.all(kernels.map((k) => prepareKernel(k)));
  const vmlinux = prepared.filter((k) => k.image.endsWith("/vmlinux"));
  buildBtfArchive(archive, vmlinux.map((k) => ({ release: k.release, btfFile: k.image })));
  env.ECLI_TEST_BTF_ARCHIVE = archive;
  const started = performance.now();
  const columns: Column[] = [];
  try {
    // The host first: its compiles fill the cache the guests load from.
    console.error(`== host: ${files.length} test files`);
    const host = await hostColumn(files, env, values.filter);
    if (pick("host")) columns.push(host);

    const jobs = Math.min(kernels.length, Math.max(1, Number(values.jobs) || 1));
    const queue = [...kernels];
    const results = new Map<string, Column>();
    const worker = async () => {
      for (let k = queue.shift(); k; k = queue.shift()) {
        console.error(`== ${k.name}: started`);
        const opts = {
          command: `echo "ECLI-VM: kernel $(uname -r)"; ${Deno.execPath()} ${
            testArgs(files, `${GUEST_JOB_DIR}/junit.xml`, values.filter).map((a) => `'${a}'`)
              .join(" ")
          }`,
          env: { ...env, ECLI_REQUIRE_FEATURES: GUEST_FEATURES },
          timeoutMs: 45 * 60_000,
          // Parallel VMs get one CPU each (TCG is CPU-bound; measured fastest that way).
          smp: jobs > 1 ? 1 : 2,
          collect: ["junit.xml"],
        };
        let r = await runInVm(k, opts);
        let note = "";
        if (r.code === null && !reachedCommand(r)) {
          // A boot failure before the command started (not the test's): one retry, reported.
          console.error(`== ${k.name}: boot failed (${r.reason}), retrying once`);
          if (values.verbose) console.error(r.output);
          note = " (boot retried)";
          r = await runInVm(k, opts);
        }
        const o = readOutcomes(r.files["junit.xml"]);
        const failed = o.outcomes.some((t) => t.outcome === "fail");
        const error = r.code === 0 || failed ? o.error : (r.reason ?? o.error);
        results.set(k.name, {
          label: k.name + note,
          release: releaseOf(r),
          wallMs: r.wallMs,
          ...o,
          error,
        });
        const verdict = r.code === 0 ? "pass" : `FAIL (${r.reason})`;
        console.error(`== ${k.name}: ${verdict} in ${(r.wallMs / 1000).toFixed(1)} s`);
        if (values.verbose || r.code !== 0) console.error(r.output);
      }
    };
    await Promise.all(Array.from({ length: jobs }, worker));
    for (const k of kernels) columns.push(results.get(k.name)!);
  } finally {
    await Deno.remove(buildCache, { recursive: true }).catch(() => {});
  }
  console.log(matrixTable(columns));
  for (const c of columns.filter((c) => c.error)) console.log(`${c.label}: ${c.error}`);
  for (const c of columns) {
    for (const o of c.outcomes.filter((o) => o.outcome === "fail")) {
      console.log(`${c.label}: FAILED ${o.name}: ${o.detail}`);
    }
  }
  const t = totals(columns);
  const wall = ((performance.now() - started) / 1000).toFixed(0);
  console.log(`matrix wall time: ${wall} s`);
  console.log(`kernel matrix: ${t.passed} passed, ${t.failed} failed, ${t.skipped} skipped`);
  if (t.failed) Deno.exit(1);
}
