/**
 * The single executable (`deno task compile` → `dist/ecli`, built here when missing or older
 * than the sources) on the real kernel, copied alone into an empty directory and run with a
 * PATH where neither deno nor bun is visible: it compiles an example with only clang, runs it
 * with a TypeScript handler given at run time and with `-e`, runs from its embedded libbpf when
 * the system's is hidden, answers as `ecc` through a symlink, and names the apt package when
 * clang is missing.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ROOT, startFollowed, waitFor } from "../support/cli.ts";
import { kernelTest, trigger, uniqueCopy } from "../support/kernel.ts";
import { ensureBinary } from "../../tools/build.ts";
import { ldconfigPath } from "../../tools/build_assets.ts";
import { VERSION } from "../../version.ts";

/** The sandbox: a directory with the binary alone, a bin dir holding only clang, a cache. */
interface Sandbox {
  /** Where the binary is copied and run (its cwd). */
  work: string;
  /** `ECLI_CACHE_DIR` of every run. */
  cache: string;
  /** The environment of every run: nothing inherited; PATH has clang and system dirs only. */
  env: Record<string, string>;
  /** Scratch space outside the work directory. */
  scratch: string;
}

let sandbox: Sandbox | undefined;

function setUp(): Sandbox {
  if (sandbox) return sandbox;
  const binary = ensureBinary();
  const scratch = mkdtempSync(join(tmpdir(), "ecli-binary-e2e-"));
  const work = join(scratch, "work");
  const bin = join(scratch, "bin");
  const cache = join(scratch, "cache");
  mkdirSync(work);
  mkdirSync(bin);
  const clang = spawnSync("sh", ["-c", "command -v clang"], { encoding: "utf8" }).stdout.trim();
  assert.ok(clang, "clang must be installed for this test");
  symlinkSync(realpathSync(clang), join(bin, "clang"));
  copyFileSync(binary, join(work, "ecli"));
  Deno.chmodSync(join(work, "ecli"), 0o755);
  const path = `${bin}:/usr/sbin:/sbin`;
  for (const dir of path.split(":")) {
    for (const runtime of ["deno", "bun", "node"]) {
      assert.ok(!existsSync(join(dir, runtime)), `${dir}/${runtime} must not be on the test PATH`);
    }
  }
  const env = { PATH: path, HOME: scratch, ECLI_CACHE_DIR: cache };
  return sandbox = { work, cache, env, scratch };
}

/** Runs `argv` in the sandbox to completion. */
async function exec(argv: string[], env: Record<string, string> = {}) {
  const s = setUp();
  const out = await new Deno.Command(argv[0], {
    args: argv.slice(1),
    cwd: s.work,
    env: { ...s.env, ...env },
    clearEnv: true,
    stdin: "null",
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

function start(argv: string[], env: Record<string, string> = {}) {
  const s = setUp();
  return startFollowed(argv[0], argv.slice(1), {
    cwd: s.work,
    env: { ...s.env, ...env },
    clearEnv: true,
  });
}

let compiled: Promise<void> | undefined;

/** Copies procsnoop's sources into the sandbox and compiles them there with the binary. */
function compileExample(): Promise<void> {
  return compiled ??= (async () => {
    const { work } = setUp();
    for (const f of ["procsnoop.bpf.c", "procsnoop.h"]) {
      copyFileSync(join(ROOT, "examples", "procsnoop", f), join(work, f));
    }
    const r = await exec(["./ecli", "compile", "procsnoop.bpf.c", "procsnoop.h"]);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(existsSync(join(work, "package.json")), r.stderr);
  })();
}

kernelTest("the executable compiles an example with only clang on PATH", async () => {
  await compileExample();
  const { cache } = setUp();
  // The embedded headers were extracted to the cache for clang.
  const [id] = readdirSync(join(cache, "include"));
  assert.ok(existsSync(join(cache, "include", id, "bpf", "bpf_helpers.h")));
});

kernelTest(
  "the executable runs a package with a TypeScript handler given at run time",
  async () => {
    await compileExample();
    const { work } = setUp();
    const marker = uniqueCopy("/bin/true", "xmark");
    writeFileSync(
      join(work, "h.ts"),
      `interface Ev { pid: number; comm: string; exit_event: boolean }
enum Kind { Exec = "exec", Exit = "exit" }
export default (e: Ev) =>
  e.comm === ${JSON.stringify(marker.comm)}
    ? { pid: e.pid, kind: e.exit_event ? Kind.Exit : Kind.Exec }
    : undefined;\n`,
    );
    const run = start(["./ecli", "run", "package.json", "--handler", "h.ts"]);
    await run.attached;
    const { pid } = await trigger(marker.path);
    await waitFor(run, (o) => o.includes("exit"));
    const r = await run.stop();
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trimEnd().split("\n");
    assert.deepEqual(lines.slice(1).map((l) => l.split(/\s+/).slice(1)), [
      [String(pid), "exec"],
      [String(pid), "exit"],
    ], r.stdout);
  },
);

kernelTest("in the executable a handler exception shows the user's own frame", async () => {
  await compileExample();
  const { work } = setUp();
  const marker = uniqueCopy("/bin/true", "zmark");
  writeFileSync(
    join(work, "boom.ts"),
    `export default (e: { comm: string }) => {\n  if (e.comm === ${
      JSON.stringify(marker.comm)
    }) throw new Error("boom");\n};\n`,
  );
  const run = start(["./ecli", "run", "package.json", "--handler", "boom.ts"]);
  await run.attached;
  await trigger(marker.path);
  const r = await run.done;
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /^Error: boom$/m);
  assert.match(r.stderr, /^ {4}at .*boom\.ts:2:\d+\)?$/m);
  assert.match(r.stderr, /^ecli: error: handler event\(\) threw: boom$/m);
  assert.ok(!r.stderr.includes("$bunfs"), "none of our frames");
});

kernelTest("the executable runs -e inline handlers", async () => {
  await compileExample();
  const marker = uniqueCopy("/bin/true", "ymark");
  const run = start([
    "./ecli",
    "run",
    "package.json",
    "--json",
    "-e",
    `if (e.comm === ${
      JSON.stringify(marker.comm)
    } && e.exit_event) emit({ pid: e.pid, code: e.exit_code })`,
  ]);
  await run.attached;
  const { pid } = await trigger(marker.path);
  await waitFor(run, (o) => o.includes(`"pid":${pid}`));
  const r = await run.stop();
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout.trim()), { pid, code: 0 });
});

kernelTest("with the system libbpf, libelf and libz hidden, the embedded copies run", async () => {
  await compileExample();
  const { scratch } = setUp();
  const empty = join(scratch, "empty");
  const emptyDir = join(scratch, "empty-lib");
  writeFileSync(empty, "");
  mkdirSync(emptyDir, { recursive: true });
  // A private mount namespace for the child only: empty files over the real libraries.
  const hidden = ["libbpf.so.1", "libelf.so.1", "libz.so.1"].map((soname) => {
    const path = ldconfigPath(soname);
    assert.ok(path, `${soname} not in ldconfig -p`);
    return realpathSync(path);
  });
  const hide = hidden.map((p) => `/usr/bin/mount --bind ${empty} ${p}`).join(" && ");
  const inNamespace = (
    cmd: string,
  ) => ["/usr/bin/unshare", "-m", "/bin/sh", "-c", `${hide} && ${cmd}`];
  const env = { LD_LIBRARY_PATH: emptyDir };

  const system = await exec(inNamespace("exec ./ecli --version"), {
    ...env,
    ECLI_LIBBPF: "system",
  });
  assert.match(
    system.stdout,
    /libbpf unavailable: cannot load libbpf/,
    "the system libbpf is hidden",
  );

  const version = await exec(inNamespace("exec ./ecli --version"), env);
  assert.equal(version.code, 0, version.stderr);
  assert.match(
    version.stdout,
    new RegExp(`^ecli \\(ecli-ts\\) ${VERSION}, libbpf \\d+\\.\\d+(\\.\\d+)? \\(embedded\\)\\n$`),
  );

  const marker = uniqueCopy("/bin/true", "zmark");
  const code = `if (e.comm === ${
    JSON.stringify(marker.comm)
  }) emit({ pid: e.pid, exit: e.exit_event })`;
  const run = start(inNamespace(`exec ./ecli run package.json --json -e '${code}'`), env);
  await run.attached;
  const { pid } = await trigger(marker.path);
  await waitFor(run, (o) => o.includes(`"exit":true`));
  const r = await run.stop();
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(r.stdout.trim().split("\n").map((l) => JSON.parse(l)), [
    { pid, exit: false },
    { pid, exit: true },
  ]);
});

kernelTest("ECLI_LIBBPF picks the embedded or the system libbpf", async () => {
  const embedded = await exec(["./ecli", "--version"], { ECLI_LIBBPF: "embedded" });
  assert.match(embedded.stdout, /, libbpf \d+\.\d+(\.\d+)? \(embedded\)\n$/);
  const system = await exec(["./ecli", "--version"]);
  assert.match(
    system.stdout,
    new RegExp(`^ecli \\(ecli-ts\\) ${VERSION}, libbpf \\d+\\.\\d+(\\.\\d+)? \\(system\\)\\n$`),
  );
});

kernelTest("deno run falls back to the staged copies too (the Deno backend)", async () => {
  setUp(); // builds, which stages dist/ecli-assets
  const out = await new Deno.Command("deno", {
    args: ["run", "-A", `${ROOT}/cli.ts`, "--version"],
    env: { ECLI_LIBBPF: "embedded" },
    stdin: "null",
  }).output();
  assert.match(new TextDecoder().decode(out.stdout), /, libbpf \d+\.\d+(\.\d+)? \(embedded\)\n$/);
});

kernelTest("the executable answers as ecc through a symlink", async () => {
  const { work } = setUp();
  if (!existsSync(join(work, "ecc"))) symlinkSync("ecli", join(work, "ecc"));
  const version = await exec(["./ecc", "--version"]);
  assert.equal(version.stdout, `ecc (ecli-ts) ${VERSION}\n`);
  const help = await exec(["./ecc", "--help"]);
  assert.match(help.stdout, /^Usage: ecc /);
});

kernelTest("without clang, compiling names the apt package", async () => {
  const { work } = setUp();
  writeFileSync(join(work, "tiny.bpf.c"), `char LICENSE[] SEC("license") = "GPL";\n`);
  const r = await exec(["./ecli", "compile", "tiny.bpf.c"], { PATH: "/usr/sbin:/sbin" });
  assert.equal(r.code, 1);
  assert.match(
    r.stderr,
    /^ecc: error: clang not found: install it \(Debian: apt-get install clang\)/m,
  );
});

globalThis.addEventListener("unload", () => {
  if (sandbox) rmSync(sandbox.scratch, { recursive: true, force: true });
});
