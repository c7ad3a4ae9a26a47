/**
 * Standalone tools (`ecli bundle`, `ecc -s`): a procsnoop tool with a TypeScript handler (that
 * imports a module of its own) is made by the executable and by `deno run cli.ts`, copied alone
 * into an empty directory and run there with no deno, bun or clang on PATH and the system
 * libbpf hidden; it takes its flags, prints the handler's output for a trigger, names itself
 * in --help and leaves nothing loaded after SIGINT. A flipped byte, a cut file and a payload of
 * another version each give one line and exit 1.
 */
import assert from "node:assert/strict";
import {
  appendFileSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  realpathSync,
  statSync,
  truncateSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { ROOT, runCli, startFollowed, waitFor } from "../support/cli.ts";
import { compileExample } from "../support/build.ts";
import {
  bpfProgramIdsOf,
  hostKernelTest,
  loadedProgramIds,
  scratchDir,
  trigger,
  uniqueCopy,
} from "../support/kernel.ts";
import { ensureBinary } from "../../tools/build.ts";
import { ldconfigPath } from "../../tools/build_assets.ts";
import { elfExtent } from "../../lib/elf/mod.ts";
import { encodePayload } from "../../lib/standalone/mod.ts";
import { VERSION } from "../../version.ts";

interface Fixture {
  /** dist/ecli. */
  ecli: string;
  /** procsnoop's package.json. */
  pkg: string;
  /** The handler module (imports ./tag.ts). */
  handler: string;
  /** The unique program the handler reports. */
  marker: { path: string; comm: string };
}

let fixture: Promise<Fixture> | undefined;

function setUp(): Promise<Fixture> {
  return fixture ??= (async () => {
    const ecli = ensureBinary();
    const dir = scratchDir();
    const pkg = await compileExample("procsnoop", dir);
    const marker = uniqueCopy("/bin/true", "tool");
    writeFileSync(join(dir, "tag.ts"), `export const TAG: string = "seen";\n`);
    const handler = join(dir, "h.ts");
    writeFileSync(
      handler,
      `import { TAG } from "./tag.ts";
interface Ev { pid: number; comm: string; exit_event: boolean }
export default (e: Ev, ctx: { args: Record<string, unknown> }) =>
  e.comm === ${JSON.stringify(marker.comm)}
    ? { tag: TAG, pid: e.pid, kind: e.exit_event ? "exit" : "exec", min: Number(ctx.args.min_duration_ns) }
    : undefined;\n`,
    );
    return { ecli, pkg, handler, marker };
  })();
}

/** An empty directory holding only `tool` (copied as `name`). */
function alone(tool: string, name = "procsnoop"): string {
  const work = scratchDir();
  copyFileSync(tool, join(work, name));
  Deno.chmodSync(join(work, name), 0o755);
  return work;
}

/** PATH without deno, bun, node or clang. */
const PATH = "/usr/sbin:/sbin";

async function exec(work: string, argv: string[]) {
  const out = await new Deno.Command(argv[0], {
    args: argv.slice(1),
    cwd: work,
    env: { PATH, HOME: work },
    clearEnv: true,
    stdin: "null",
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

/** `cmd` in a private mount namespace where libbpf, libelf and libz are empty files. */
function withoutSystemLibbpf(work: string, cmd: string): string[] {
  const empty = join(work, ".empty");
  writeFileSync(empty, "");
  const hide = ["libbpf.so.1", "libelf.so.1", "libz.so.1"].map((soname) => {
    const path = ldconfigPath(soname);
    assert.ok(path, `${soname} not in ldconfig -p`);
    return `/usr/bin/mount --bind ${empty} ${realpathSync(path)}`;
  }).join(" && ");
  return ["/usr/bin/unshare", "-m", "/bin/sh", "-c", `${hide} && ${cmd}`];
}

let made: Promise<string> | undefined;

/** The tool made by the executable: `ecli bundle pkg --handler h.ts -o procsnoop -- --json`. */
function tool(): Promise<string> {
  return made ??= (async () => {
    const f = await setUp();
    const out = join(scratchDir(), "procsnoop");
    const r = await new Deno.Command(f.ecli, {
      args: ["bundle", f.pkg, "--handler", f.handler, "-o", out, "--", "--json"],
      stdin: "null",
    }).output();
    assert.equal(r.code, 0, new TextDecoder().decode(r.stderr));
    assert.match(
      new TextDecoder().decode(r.stderr),
      new RegExp(
        `^ecli: wrote ${out} \\(\\d+\\.\\d MB: ecli \\d+\\.\\d MB \\+ payload \\d+\\.\\d kB\\) in \\d+\\.\\d s\\n$`,
      ),
    );
    return out;
  })();
}

hostKernelTest(
  "a bundled tool runs alone: flags, handler output, nothing left loaded",
  async () => {
    const f = await setUp();
    const work = alone(await tool());
    for (const dir of PATH.split(":")) {
      for (const p of ["deno", "bun", "node", "clang"]) assert.ok(!existsSync(join(dir, p)), p);
    }
    const [bin, ...argv] = withoutSystemLibbpf(work, "exec ./procsnoop --min_duration_ns 5");
    const run = startFollowed(bin, argv, { cwd: work, env: { PATH, HOME: work }, clearEnv: true });
    await run.attached;
    const ids = bpfProgramIdsOf(run.pid);
    assert.ok(ids.length > 0, "the tool holds its programs");
    const { pid } = await trigger(f.marker.path);
    await waitFor(run, (o) => o.includes(`"exit"`));
    const r = await run.stop();
    assert.equal(r.code, 0, r.stderr);
    // With --min_duration_ns set procsnoop reports exits only (of processes that lived 5 ns).
    assert.deepEqual(r.stdout.trim().split("\n").map((l) => JSON.parse(l)), [
      { tag: "seen", pid, kind: "exit", min: 5 },
    ]);
    const still = new Set(loadedProgramIds());
    assert.deepEqual(ids.filter((id) => still.has(id)), [], "nothing of the tool stays loaded");
  },
);

hostKernelTest("a tool's --help names it; --ecli info shows what it carries", async () => {
  const f = await setUp();
  const work = alone(await tool());
  const help = await exec(work, ["./procsnoop", "--help"]);
  assert.equal(help.code, 0, help.stderr);
  assert.match(help.stdout, /^Usage: procsnoop \[OPTIONS\]$/m);
  assert.match(help.stdout, /^ {6}--min_duration_ns <MIN_DURATION_NS>/m);
  const info = await exec(work, ["./procsnoop", "--ecli", "info"]);
  assert.equal(info.code, 0, info.stderr);
  const lines = info.stdout.split("\n");
  const exe = elfExtent(join(work, "procsnoop"));
  assert.equal(lines[0], `tool:     procsnoop (made by ecli ${VERSION})`);
  assert.equal(
    lines[1],
    `file:     ${join(work, "procsnoop")}: ${exe.end} bytes of ecli + ${
      exe.size - exe.end
    } bytes of payload`,
  );
  assert.match(
    lines[2],
    new RegExp(
      `^program:  package\\.json \\(json, ${statSync(f.pkg).size} bytes, sha256 [0-9a-f]{64}\\)$`,
    ),
  );
  assert.match(lines[3], /^handler: {2}h\.ts \(bundled, \d+ bytes\)$/);
  assert.equal(lines[4], "defaults: --json");
  assert.match(lines[6], /^procsnoop_bpf — /);
  const bad = await exec(work, ["./procsnoop", "--ecli", "run"]);
  assert.equal(bad.code, 1);
  assert.equal(
    bad.stderr,
    "procsnoop: error: --ecli takes one command: info (see procsnoop --help)\n",
  );
  const flag = await exec(work, ["./procsnoop", "--min_duration_ns", "x"]);
  assert.equal(flag.code, 1);
  assert.match(
    flag.stderr,
    /^procsnoop: error: --min_duration_ns: .* \(see: procsnoop --help\)\n$/,
  );
});

hostKernelTest(
  "deno run cli.ts bundle makes the same tool (Bun's bundler from the executable)",
  async () => {
    const f = await setUp();
    const out = join(scratchDir(), "snoop");
    const r = await runCli([
      "bundle",
      f.pkg,
      "-e",
      "return e.pid",
      "-o",
      out,
      "--",
      "--count",
      "1",
    ]);
    assert.equal(r.code, 0, r.stderr);
    const work = alone(out, "snoop");
    const info = await exec(work, ["./snoop", "--ecli", "info"]);
    assert.equal(info.code, 0, info.stderr);
    assert.equal(info.stdout.split("\n")[3], `handler:  -e "return e.pid"`);
    assert.equal(info.stdout.split("\n")[4], "defaults: --count 1");
    const withHandler = join(scratchDir(), "snoop2");
    const h = await runCli(["bundle", f.pkg, "--handler", f.handler, "-o", withHandler]);
    assert.equal(h.code, 0, h.stderr);
    const code = JSON.parse(
      readFileSync(withHandler).subarray(elfExtent(withHandler).end, -64).toString(),
    )
      .handler.code as string;
    assert.match(code, /"seen"/, "tag.ts is bundled in");
    assert.ok(!/from "\.\/tag\.ts"/.test(code), "no import left to resolve");
  },
);

hostKernelTest("a damaged tool says so in one line and runs nothing", async () => {
  const made = await tool();
  const { end, size } = elfExtent(made);
  const flipped = alone(made);
  const file = join(flipped, "procsnoop");
  const bytes = Deno.openSync(file, { read: true, write: true });
  const one = new Uint8Array(1);
  bytes.seekSync(end + 10, Deno.SeekMode.Start);
  bytes.readSync(one);
  one[0] ^= 0x20;
  bytes.seekSync(end + 10, Deno.SeekMode.Start);
  bytes.writeSync(one);
  bytes.close();
  const r = await exec(flipped, ["./procsnoop"]);
  assert.equal(r.code, 1);
  assert.equal(r.stdout, "");
  assert.match(
    r.stderr,
    /^procsnoop: error: the embedded package is damaged: sha256 [0-9a-f]{64}, expected [0-9a-f]{64}; rebuild the tool with 'ecli bundle'\n$/,
  );

  const cut = alone(made);
  truncateSync(join(cut, "procsnoop"), size - 100);
  const c = await exec(cut, ["./procsnoop", "--help"]);
  assert.equal(c.code, 1);
  assert.equal(c.stdout, "");
  assert.equal(
    c.stderr,
    "procsnoop: error: the embedded package is damaged: no payload trailer at the end " +
      "(the file is truncated or was changed); rebuild the tool with 'ecli bundle'\n",
  );
});

hostKernelTest("a payload made by another ecli version is refused with both named", async () => {
  const f = await setUp();
  const work = scratchDir();
  const file = join(work, "old");
  copyFileSync(f.ecli, file);
  truncateSync(file, elfExtent(f.ecli).end);
  appendFileSync(
    file,
    encodePayload({
      ecli: "0.0.9",
      name: "old",
      program: {
        source: "package.json",
        type: "json",
        data: readFileSync(f.pkg).toString("base64"),
      },
      args: [],
    }),
  );
  Deno.chmodSync(file, 0o755);
  const r = await exec(work, ["./old"]);
  assert.equal(r.code, 1);
  assert.equal(
    r.stderr,
    `old: error: made by ecli 0.0.9, but this executable is ecli ${VERSION}; ` +
      `rebuild the tool with 'ecli bundle' of ecli ${VERSION}\n`,
  );
});

hostKernelTest(
  "ecc -s writes NAME.out; bad bundle inputs are one line and write nothing",
  async () => {
    await setUp();
    const out = scratchDir();
    const ex = join(ROOT, "examples", "procsnoop");
    const r = await runCli([
      "compile",
      join(ex, "procsnoop.bpf.c"),
      join(ex, "procsnoop.h"),
      "-o",
      out,
      "-s",
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, new RegExp(`^ecc: wrote ${join(out, "procsnoop.out")} \\(`, "m"));
    const info = await exec(out, ["./procsnoop.out", "--ecli", "info"]);
    assert.equal(info.stdout.split("\n")[0], `tool:     procsnoop.out (made by ecli ${VERSION})`);

    const n = await runCli(["compile", join(ex, "procsnoop.bpf.c"), "-o", out, "-s", "-n"]);
    assert.equal(n.code, 1);
    assert.equal(
      n.stderr,
      "ecc: error: --standalone needs the package: it cannot go with -n (see ecc --help)\n",
    );

    const dir = scratchDir();
    const missing = await runCli(["bundle", join(dir, "nope.json"), "-o", join(dir, "t")]);
    assert.equal(missing.code, 1);
    assert.equal(missing.stderr, `ecli: error: ${join(dir, "nope.json")}: no such file\n`);
    writeFileSync(join(dir, "broken.ts"), `import x from "./gone.ts";\nexport default x;\n`);
    const f = await setUp();
    const broken = await runCli([
      "bundle",
      f.pkg,
      "--handler",
      join(dir, "broken.ts"),
      "-o",
      join(dir, "t"),
    ]);
    assert.equal(broken.code, 1);
    assert.match(
      broken.stderr,
      new RegExp(
        `^ecli: error: ${join(dir, "broken.ts")}: cannot bundle the handler: .*gone\\.ts.*\\n$`,
      ),
    );
    mkdirSync(join(dir, "sub"));
    assert.deepEqual(Deno.readDirSync(dir).toArray().map((e) => e.name).sort(), [
      "broken.ts",
      "sub",
    ]);
  },
);
