/**
 * Quick shell scripting on events, as a user runs it: a one-file script with a shebang runs as
 * `./script.ts` with only the executable on PATH (its second run uses the build cache: clang is
 * gone from PATH then), `--filter`/`--fields` and every `--format` print exactly, `--exec` gets
 * a field holding spaces and quotes as one argument, a failing `ctx.$` command is reported and
 * the run goes on, the bundled example scripts do their jobs, and bad input is one line.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import {
  chmodSync,
  mkdirSync,
  readFileSync,
  realpathSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { ROOT, runCli, startFollowed, startRun, waitFor } from "../support/cli.ts";
import { compileExample } from "../support/build.ts";
import {
  gatedCommand,
  hostKernelTest,
  scratchDir,
  trigger,
  uniqueCopy,
} from "../support/kernel.ts";
import { ensureBinary } from "../../tools/build.ts";

const EXEC_SCRIPT = `#!/usr/bin/env -S ecli run
import type { Handler } from "./execs.d.ts";

export const program = bpf\`
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

struct event { int pid; char comm[16]; };

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 16);
} events SEC(".maps");

SEC("tracepoint/sched/sched_process_exec")
int on_exec(void *ctx)
{
	struct event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e)
		return 0;
	e->pid = bpf_get_current_pid_tgid() >> 32;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	bpf_ringbuf_submit(e, 0);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
\`;

export default ((e) => e.comm.startsWith("scrmark") ? \`exec \${e.comm} \${e.pid}\` : undefined) satisfies Handler;
`;

/** A bin directory with `ecli` (the executable) and, if asked, `clang`: the only PATH. */
function binDir(withClang: boolean): string {
  const bin = scratchDir();
  symlinkSync(ensureBinary(), join(bin, "ecli"));
  if (withClang) {
    const clang = spawnSync("sh", ["-c", "command -v clang"], { encoding: "utf8" }).stdout.trim();
    symlinkSync(realpathSync(clang), join(bin, "clang"));
  }
  return bin;
}

hostKernelTest("a shebang script runs as ./script.ts; its second run needs no clang", async () => {
  const dir = scratchDir();
  const script = join(dir, "execs.ts");
  writeFileSync(script, EXEC_SCRIPT);
  chmodSync(script, 0o755);
  const cache = join(dir, "cache");
  const run = async (bin: string) => {
    const env = { PATH: bin, HOME: dir, ECLI_CACHE_DIR: cache };
    const r = startFollowed(script, [], { cwd: dir, env, clearEnv: true });
    await r.attached;
    const marker = uniqueCopy("/bin/true", "scrmark");
    const { pid } = await trigger(marker.path);
    await waitFor(r, (o) => o.includes(`exec ${marker.comm}`));
    const out = await r.stop();
    assert.equal(out.code, 0, out.stderr);
    assert.equal(out.stdout, `exec ${marker.comm} ${pid}\n`);
  };
  await run(binDir(true));
  // No clang on PATH now: only the cache can give the package.
  await run(binDir(false));
  // A changed script is a new build, and that needs clang again.
  writeFileSync(script, EXEC_SCRIPT.replace("1 << 16", "1 << 17"));
  const changed = spawnSync(script, ["--duration", "1"], {
    cwd: dir,
    env: { PATH: binDir(false), HOME: dir, ECLI_CACHE_DIR: cache },
    encoding: "utf8",
  });
  assert.equal(changed.status, 1);
  assert.match(changed.stderr, /^ecli: error: clang not found/m);
});

hostKernelTest("ecli types and ecli build write a script's types and package", async () => {
  const dir = scratchDir();
  const script = join(dir, "execs.ts");
  writeFileSync(script, EXEC_SCRIPT);
  const t = await runCli(["types", script]);
  assert.equal(t.code, 0, t.stderr);
  assert.equal(t.stderr, `ecli: wrote ${join(dir, "execs.d.ts")}\n`);
  const types = readFileSync(join(dir, "execs.d.ts"), "utf8");
  assert.match(types, /^export interface Event \{\n {2}\/\*\* C: int \*\/\n {2}pid: number;$/m);
  assert.match(types, /^ {2}function bpf\(source: TemplateStringsArray\): string;$/m);
  const check = spawnSync("deno", ["check", script], { encoding: "utf8" });
  assert.equal(check.status, 0, check.stderr);
  const b = await runCli(["build", script]);
  assert.equal(b.code, 0, b.stderr);
  assert.equal(b.stderr, `ecli: wrote ${join(dir, "execs.package.json")} (from the build cache)\n`);
  const info = await runCli(["info", join(dir, "execs.package.json")]);
  assert.match(info.stdout, /on_exec\s+tracepoint\/sched\/sched_process_exec/);
});

/** The opensnoop package and a file whose path holds spaces and both quotes. */
async function openTarget() {
  const pkg = await compileExample("opensnoop", scratchDir());
  const dir = join(scratchDir(), "we ird");
  mkdirSync(dir);
  const file = join(dir, `a 'b" c`);
  writeFileSync(file, "x");
  return { pkg, file, filter: `e.fname == ${JSON.stringify(file)}` };
}

/**
 * Runs `ecli run <pkg> <args>` filtered in the kernel to one `cat file` (other opens on a busy
 * machine could fill the perf buffer), runs that cat, returns stdout and cat's pid.
 */
async function catOnce(pkg: string, file: string, args: string[]) {
  const cat = gatedCommand("/bin/cat", [file]);
  const run = startRun([pkg, ...args, "--pid_target", String(cat.pid)]);
  await run.attached;
  await cat.go();
  await waitFor(run, (o) => o.includes("cat"), 15_000);
  const r = await run.stop();
  assert.equal(r.code, 0, r.stderr);
  return { out: r.stdout, pid: cat.pid };
}

hostKernelTest("--filter and --fields print exactly in every --format", async () => {
  const { pkg, file, filter } = await openTarget();
  const base = ["--filter", filter, "--fields", "pid,comm,fname"];
  const csvPath = `"${file.replaceAll('"', '""')}"`;
  let r = await catOnce(pkg, file, [...base, "--format", "csv"]);
  assert.equal(r.out, `pid,comm,fname\n${r.pid},cat,${csvPath}\n`);
  r = await catOnce(pkg, file, [...base, "--format", "tsv"]);
  assert.equal(r.out, `pid\tcomm\tfname\n${r.pid}\tcat\t${file}\n`);
  r = await catOnce(pkg, file, [...base, "--format", "logfmt"]);
  assert.equal(r.out, `pid=${r.pid} comm=cat fname=${JSON.stringify(file)}\n`);
  r = await catOnce(pkg, file, [...base, "--format", "json"]);
  assert.equal(r.out, `${JSON.stringify({ pid: r.pid, comm: "cat", fname: file })}\n`);
  r = await catOnce(pkg, file, [...base, "--format", "table"]);
  const [header, row, ...rest] = r.out.split("\n");
  assert.equal(header, "TIME     PID    COMM   FNAME  ");
  assert.match(row, new RegExp(`^\\d\\d:\\d\\d:\\d\\d  ${r.pid} +cat +${RegExp.escape(file)}$`));
  assert.deepEqual(rest, [""]);
});

hostKernelTest("--exec gets each field as one argument, spaces and quotes intact", async () => {
  const { pkg, file, filter } = await openTarget();
  const r = await catOnce(pkg, file, [
    "--filter",
    filter,
    "--exec",
    "/usr/bin/printf '[%s]\\n' {fname} {comm} pid={pid}",
  ]);
  assert.equal(r.out, `[${file}]\n[cat]\n[pid=${r.pid}]\n`);
});

hostKernelTest("a failing ctx.$ command is reported per event and the run goes on", async () => {
  const { pkg, file } = await openTarget();
  const h = join(scratchDir(), "h.ts");
  writeFileSync(
    h,
    `export default async (e: { fname: string }, ctx: { $: (s: TemplateStringsArray, ...v: unknown[]) => Promise<{ code: number; stdout: string }> }) => {
  if (e.fname !== ${JSON.stringify(file)}) return;
  const bad = await ctx.$\`sh -c \${"echo oops >&2; exit 3"}\`;
  const echo = await ctx.$\`printf %s \${e.fname}\`;
  return \`code \${bad.code} \${echo.stdout}\`;
};\n`,
  );
  const run = startRun([pkg, "--handler", h]);
  await run.attached;
  await trigger("/bin/cat", [file]);
  await waitFor(run, (o) => o.includes("code 3"));
  await trigger("/bin/cat", [file]);
  await waitFor(run, (o) => o.split("code 3").length === 3);
  const r = await run.stop();
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, `code 3 ${file}\ncode 3 ${file}\n`);
  const reported = r.stderr.split("\n").filter((l) => l.startsWith("ecli: ctx.$"));
  assert.deepEqual(reported, [
    `ecli: ctx.$: exit 3: sh -c 'echo oops >&2; exit 3': oops`,
    `ecli: ctx.$: exit 3: sh -c 'echo oops >&2; exit 3': oops`,
  ]);
});

hostKernelTest("examples/scripts/killopen.ts kills the process that opens the file", async () => {
  const secret = join(scratchDir(), "secret");
  writeFileSync(secret, "s");
  const run = startRun([`${ROOT}/examples/scripts/killopen.ts`, "--forbidden", secret]);
  await run.attached;
  const victim = new Deno.Command("/bin/sh", {
    args: ["-c", `exec 3< '${secret}'; sleep 10`],
    stdout: "null",
    stderr: "null",
  }).spawn();
  const status = await victim.status;
  await waitFor(run, (o) => o.includes("killed"));
  const r = await run.stop();
  assert.equal(status.signal, "SIGKILL");
  assert.equal(r.stdout, `killed sh (pid ${victim.pid}): opened ${secret}\n`);
});

hostKernelTest("examples/scripts/slowsyscalls.ts logs slow calls to CSV", async () => {
  const out = join(scratchDir(), "slow.csv");
  const sleeper = uniqueCopy("/bin/sleep", "slowmark");
  const run = startRun([
    `${ROOT}/examples/scripts/slowsyscalls.ts`,
    "--format",
    "csv",
    "--output",
    out,
    "--min_us",
    "200000",
  ]);
  await run.attached;
  const { pid } = await trigger(sleeper.path, ["0.3"]);
  await waitFor({ stdout: () => readFileSync(out, "utf8") }, (o) => o.includes(sleeper.comm));
  const r = await run.stop();
  assert.equal(r.code, 0, r.stderr);
  const lines = readFileSync(out, "utf8").trimEnd().split("\n");
  assert.equal(lines[0], "comm,pid,syscall,ret,duration_us");
  const mine = lines.filter((l) => l.startsWith(`${sleeper.comm},`)).map((l) => l.split(","));
  assert.equal(mine.length, 1, lines.join("\n"));
  const [, p, syscall, ret, us] = mine[0];
  assert.deepEqual([Number(p), syscall, ret], [pid, "230", "0"]); // clock_nanosleep on x86-64
  assert.ok(Number(us) >= 290_000 && Number(us) < 2_000_000, us);
});

hostKernelTest("examples/scripts/newlisten.ts reports a new listening port", async () => {
  const run = startRun([`${ROOT}/examples/scripts/newlisten.ts`]);
  await run.attached;
  const listener = new Deno.Command("python3", {
    args: [
      "-c",
      "import socket,time\ns=socket.socket()\ns.bind(('127.0.0.1',0))\ns.listen()\nprint(s.getsockname()[1],flush=True)\ntime.sleep(0.5)",
    ],
    stdout: "piped",
  }).spawn();
  const { stdout } = await listener.output();
  const port = new TextDecoder().decode(stdout).trim();
  await waitFor(run, (o) => o.includes(`port ${port} `));
  const r = await run.stop();
  assert.ok(
    r.stdout.split("\n").includes(
      `python3 (pid ${listener.pid}) listens on TCP port ${port} (IPv4)`,
    ),
    r.stdout,
  );
});

hostKernelTest("bad scripts and options: one line each, exit 1", async () => {
  const dir = scratchDir();
  const bad = join(dir, "bad.ts");
  writeFileSync(bad, EXEC_SCRIPT.replace("e->pid = ", "e->pid = undeclared_thing + "));
  let r = await runCli(["run", bad]);
  assert.equal(r.code, 1);
  const line = EXEC_SCRIPT.split("\n").findIndex((l) => l.includes("e->pid = ")) + 1;
  assert.match(
    r.stderr,
    new RegExp(
      `^${RegExp.escape(bad)}:${line}:\\d+: error: use of undeclared identifier 'undeclared_thing'`,
      "m",
    ),
  );
  assert.match(
    r.stderr,
    /\necli: error: .*bad\.ts: its BPF C does not compile \(clang failed \(exit code 1\)\)\n$/,
  );

  writeFileSync(join(dir, "noc.ts"), "export default () => 1;\n");
  r = await runCli(["run", join(dir, "noc.ts")]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^ecli: error: .*noc\.ts: no bpf`\.\.\.` template: /);

  const { pkg } = await openTarget();
  r = await runCli(["run", pkg, "--filter", "e.ret <"]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^ecli: error: --filter: cannot compile 'e\.ret <': .+\n$/);
  r = await runCli(["run", pkg, "--fields", "pid,nope"]);
  assert.equal(r.code, 1);
  assert.equal(
    r.stderr,
    "ecli: error: unknown field 'nope' (the events have: ts, pid, uid, ret, flags, comm, fname) (see ecli --help)\n",
  );
  r = await runCli(["run", pkg, "--exec", "echo {nope}"]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^ecli: error: unknown field 'nope' /);
  r = await runCli(["run", pkg, "--format", "xml"]);
  assert.equal(
    r.stderr,
    "ecli: error: --format takes table, json, csv, tsv, logfmt, got 'xml' (see ecli --help)\n",
  );
});
