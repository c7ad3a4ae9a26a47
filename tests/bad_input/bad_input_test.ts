/**
 * Runs the bad-input table (`cases.ts`) against the real CLI: each case's exact last stderr
 * line and exit code, and nothing of ours left loaded. The environment cases make their own
 * conditions: PATH without clang, setpriv to nobody, a private mount namespace without
 * tracefs/bpffs or with the kernel BTF hidden, prlimit for the locked-memory limit.
 */
import assert from "node:assert/strict";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { join } from "node:path";
import { compileExample } from "../support/build.ts";
import { ROOT } from "../support/cli.ts";
import { hostKernelTest, scratchDir } from "../support/kernel.ts";
import { BAD_INPUTS } from "./cases.ts";

const DISCOVER = Deno.env.get("ECLI_BAD_INPUT_DISCOVER") === "1";

/**
 * The compiled binary, rebuilt when a source is newer: the messages of the runtime's own
 * parsers (JSON, handler syntax) are Bun's, and it starts fastest.
 */
async function ecli(): Promise<string[]> {
  const build = await new Deno.Command("deno", {
    args: ["run", "-A", `${ROOT}/tools/build.ts`, "--if-stale"],
    stdout: "null",
  }).output();
  assert.ok(build.success && existsSync(`${ROOT}/dist/ecli`), "deno task compile failed");
  return [`${ROOT}/dist/ecli`];
}

hostKernelTest(
  `bad input: ${BAD_INPUTS.length} cases, one exact line and exit code each`,
  async () => {
    const dir = scratchDir();
    const pkgDir = join(dir, "pkg");
    mkdirSync(pkgDir);
    const pkg = await compileExample("procsnoop", pkgDir);
    const bin = await ecli();
    // The not-root cases run as nobody: the package and the case directories must be readable.
    for (let d = dir; d !== "/tmp" && d !== "/"; d = dirname(d)) chmodSync(d, 0o755);
    chmodSync(pkg, 0o644);
    const good = JSON.parse(readFileSync(pkg, "utf8"));
    const subst = (s: string, d: string) => s.replaceAll("$DIR", d).replaceAll("$PKG", pkg);
    const failures: string[] = [];
    for (const [i, c] of BAD_INPUTS.entries()) {
      const d = join(dir, String(i));
      mkdirSync(d);
      for (const [name, content] of Object.entries(c.files ?? {})) {
        const text = typeof content === "string" ? content : JSON.stringify(content(good));
        writeFileSync(join(d, name), text);
        if (name.includes(".private.")) chmodSync(join(d, name), 0o600);
      }
      chmodSync(d, 0o755);
      const argv = [...(c.wrap ?? []), ...bin, ...c.argv.map((a) => subst(a, d))];
      const out = await new Deno.Command(argv[0], {
        args: argv.slice(1),
        cwd: d,
        stdin: "null",
        stdout: "null",
        stderr: "piped",
      }).output();
      const lines = new TextDecoder().decode(out.stderr).trimEnd().split("\n");
      const last = (c.code ?? 1) === 0 && out.code === 0 ? "" : lines.at(-1) ?? "";
      const want = c.message === "?" ? "" : subst(c.message, d);
      if (DISCOVER) {
        console.log(
          `${c.area} | ${c.what} | ${out.code} | ${
            last.replaceAll(d, "$DIR").replaceAll(pkg, "$PKG")
          }`,
        );
      } else if (out.code !== (c.code ?? 1) || last !== want) {
        failures.push(`${c.what}: exit ${out.code}, '${last}' (want ${c.code ?? 1}, '${want}')`);
      }
    }
    assert.deepEqual(failures, []);
  },
);
