/**
 * `deno task test:kernels`: runs a few kernel end-to-end tests inside qemu guests, one boot per
 * kernel × test, and prints a kernel × test table (pass/fail and wall time). Exits non-zero when
 * any cell fails. The guest uses the host's deno over 9p with `--no-check` (type-checking under
 * TCG is ~10× slower; `deno task check` covers it on the host).
 *
 * Usage: `deno task test:kernels [--kernel 6.1]... [--test procsnoop]... [--jobs 2] [--verbose]`
 * (`--jobs 2`, the default: two VMs at a time, one CPU each; `--jobs 1`: one VM with 2 CPUs).
 * @module
 */
import { existsSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { BOOKWORM_6_1, BULLSEYE_5_10, type KernelSpec, SID_7_2, TRIXIE_6_12 } from "./kernel.ts";
import { reachedCommand, runInVm, type VmResult } from "./qemu.ts";

/** Kernels of the matrix: Debian 5.10 / 6.1 / 6.12 / 7.2 (see kernel.ts). */
export const KERNELS: KernelSpec[] = [BULLSEYE_5_10, BOOKWORM_6_1, TRIXIE_6_12, SID_7_2];

/** A guest test: a label and the shell command run in the checkout. */
export interface GuestTest {
  name: string;
  command: string;
  timeoutMs: number;
}

const DENO = Deno.execPath();

/** Tests of the matrix: small kernel e2e filters of the suite. */
export const TESTS: GuestTest[] = [
  {
    name: "procsnoop",
    command: `${DENO} test -A --no-check tests/e2e/run_test.ts --filter procsnoop`,
    timeoutMs: 900_000,
  },
];

function row(cells: string[], widths: number[]): string {
  return "| " + cells.map((c, i) => c.padEnd(widths[i])).join(" | ") + " |";
}

/** Formats results as a markdown kernel × test table. */
export function table(
  kernels: string[],
  tests: string[],
  cell: (k: string, t: string) => string,
): string {
  const head = ["kernel", ...tests];
  const rows = kernels.map((k) => [k, ...tests.map((t) => cell(k, t))]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  return [
    row(head, widths),
    row(widths.map((w) => "-".repeat(w)), widths),
    ...rows.map((r) => row(r, widths)),
  ].join("\n");
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      kernel: { type: "string", multiple: true },
      test: { type: "string", multiple: true },
      verbose: { type: "boolean", default: false },
      jobs: { type: "string", default: "2" },
    },
  });
  const kernels = KERNELS.filter((k) => !values.kernel?.length || values.kernel.includes(k.name));
  const tests = TESTS.filter((t) => !values.test?.length || values.test.includes(t.name));
  const denoDir = Deno.env.get("DENO_DIR") ?? join(homedir(), ".cache", "deno");
  const env: Record<string, string> = { CI: "true", NO_COLOR: "1" };
  if (existsSync(denoDir)) env.DENO_DIR = denoDir;
  const jobs = Math.max(1, Number(values.jobs) || 1);
  const cells = kernels.flatMap((k) => tests.map((t) => ({ k, t })));
  const results = new Map<string, VmResult>();
  const retried = new Map<string, string>();
  const worker = async () => {
    for (let c = cells.shift(); c; c = cells.shift()) {
      const { k, t } = c;
      console.error(`== ${k.name} × ${t.name}: started`);
      // Parallel VMs get one CPU each (TCG is CPU-bound; the reference measured this as fastest).
      const smp = jobs > 1 ? 1 : 2;
      const opts = { command: t.command, env, timeoutMs: t.timeoutMs, smp };
      let r = await runInVm(k, opts);
      if (r.code !== 0 && !reachedCommand(r)) {
        // A boot failure before the command started (not the test's): one retry, reported.
        console.error(`== ${k.name} × ${t.name}: boot failed (${r.reason}), retrying once`);
        if (values.verbose) console.error(r.output);
        const first = r.reason;
        r = await runInVm(k, opts);
        retried.set(`${k.name}\0${t.name}`, first ?? "");
      }
      results.set(`${k.name}\0${t.name}`, r);
      const secs = (r.wallMs / 1000).toFixed(1);
      const verdict = r.code === 0 ? "pass" : `FAIL (${r.reason})`;
      console.error(`== ${k.name} × ${t.name}: ${verdict} in ${secs} s`);
      if (values.verbose || r.code !== 0) console.error(r.output);
    }
  };
  await Promise.all(Array.from({ length: jobs }, worker));
  console.log(
    table(kernels.map((k) => k.name), tests.map((t) => t.name), (k, t) => {
      const r = results.get(`${k}\0${t}`)!;
      const note = retried.has(`${k}\0${t}`) ? " (boot retried)" : "";
      return `${r.code === 0 ? "pass" : "FAIL"} ${(r.wallMs / 1000).toFixed(1)}s${note}`;
    }),
  );
  const failed = [...results.values()].filter((r) => r.code !== 0).length;
  if (failed) {
    console.error(`${failed} failed`);
    Deno.exit(1);
  }
}
