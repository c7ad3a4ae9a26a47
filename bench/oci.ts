/**
 * Cold `ecli run <image ref>` (resolve, pull into an empty cache, decode, load, attach)
 * against the same package from a file, until attached (the ` attached, printing ` line),
 * median of N, in the same run and alternating, plus a warm run (cached blobs, tag
 * re-resolved at the registry). A docker-registry on 127.0.0.1 serves the package.
 * `deno run -A bench/oci.ts [N]` (root: it attaches procsnoop).
 * @module
 */
import { mkdtempSync, rmSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { compileExample } from "../tests/support/build.ts";
import { ROOT } from "../tests/support/cli.ts";
import { startRegistry } from "../tests/support/registry.ts";
import { median, timeToAttached } from "./attach_time.ts";

const N = import.meta.main ? Number(Deno.args[0] ?? 5) : 5;
const work = mkdtempSync(join(tmpdir(), "ecli-bench-oci-"));
const DENO_DIR = Deno.env.get("DENO_DIR") ??
  join(Deno.env.get("XDG_CACHE_HOME") ?? join(homedir(), ".cache"), "deno");

const reg = await startRegistry();
try {
  const pkg = await compileExample("procsnoop", work);
  const ref = `${reg.host}/bench/procsnoop:1`;
  const runtimes: [string, string[]][] = [["deno run -A cli.ts", [
    "deno",
    "run",
    "-A",
    `${ROOT}/cli.ts`,
  ]]];
  try {
    Deno.statSync(`${ROOT}/dist/ecli`);
    runtimes.push(["dist/ecli", [`${ROOT}/dist/ecli`]]);
  } catch { /* not built */ }
  const push = await new Deno.Command(runtimes[0][1][0], {
    args: [...runtimes[0][1].slice(1), "push", ref, pkg],
    stdout: "null",
    stderr: "inherit",
  }).output();
  if (!push.success) throw new Error("push failed");
  console.log(`ecli run until attached, procsnoop, median of ${N} (ms):`);
  console.log("| runtime | file | cold ref (pull) | warm ref (tag re-resolved) | cold / file |");
  console.log("| --- | --- | --- | --- | --- |");
  for (const [label, cmd] of runtimes) {
    const file: number[] = [], cold: number[] = [], warm: number[] = [];
    for (let i = 0; i < N; i++) {
      const cache = join(work, `cache-${label.length}-${i}`);
      const env = { XDG_CACHE_HOME: cache, DENO_DIR };
      // Alternating which goes first, so neither gets the machine's quieter moments.
      if (i % 2) file.push(await timeToAttached(cmd[0], [...cmd.slice(1), "run", pkg], env));
      cold.push(await timeToAttached(cmd[0], [...cmd.slice(1), "run", ref], env));
      warm.push(await timeToAttached(cmd[0], [...cmd.slice(1), "run", ref], env));
      if (i % 2 === 0) file.push(await timeToAttached(cmd[0], [...cmd.slice(1), "run", pkg], env));
      rmSync(cache, { recursive: true, force: true });
    }
    const [f, c, w] = [median(file), median(cold), median(warm)];
    console.log(
      `| ${label} | ${f.toFixed(0)} | ${c.toFixed(0)} | ${w.toFixed(0)} | ${(c / f).toFixed(2)} |`,
    );
  }
} finally {
  await reg.stop();
  rmSync(work, { recursive: true, force: true });
}
