/**
 * `ecli trace` on the host's tracepoints, as a user runs it: a one-liner prints the file the
 * test opens, typed fields (dfd is -100, an int), the in-kernel filter proven by the program's
 * own `submitted` counter (events of another process are never submitted), `--count-by comm`
 * and `--hist` count the triggers, a uprobe on libc sees chmod's mode, `--list` and `--types`
 * show the real fields, and bad input is one exact line.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { runCli, startCli, waitFor } from "../support/cli.ts";
import { hostKernelTest, scratchDir, trigger, uniqueCopy } from "../support/kernel.ts";
import { hasKprobes } from "../../lib/loader/mod.ts";
import { featureMissing } from "../support/features.ts";

const OPENAT = "tracepoint:syscalls:sys_enter_openat";

/** A file with a name nothing else opens. */
function uniqueFile(): string {
  const file = join(scratchDir(), `traced-${Deno.pid}-${Math.random().toString(36).slice(2)}`);
  writeFileSync(file, "x");
  return file;
}

/**
 * A shell that waits for a line on stdin, then runs `script` itself (its pid is known before;
 * unlike `gatedCommand` it does not exec, so no dynamic loader opens files after the gate).
 */
function gatedShell(script: string) {
  const child = new Deno.Command("sh", {
    args: ["-c", `read x; ${script}`],
    stdin: "piped",
    stdout: "null",
    stderr: "null",
  }).spawn();
  return {
    pid: child.pid,
    async release() {
      const w = child.stdin.getWriter();
      await w.write(new TextEncoder().encode("go\n"));
      await w.close();
      await child.status;
    },
  };
}

/** Runs `ecli trace <args>`, then `act` once attached, until `done(stdout)` holds. */
async function traceWhile(
  args: string[],
  act: () => Promise<unknown>,
  done: (out: string) => boolean,
) {
  const run = startCli(["trace", ...args]);
  await run.attached;
  await act();
  await waitFor(run, done);
  const r = await run.stop();
  assert.equal(r.code, 0, r.stderr);
  return r;
}

hostKernelTest("a tracepoint one-liner prints the file the test opens, fields typed", async () => {
  const file = uniqueFile();
  let r = await traceWhile(
    [OPENAT, "-e", "emit(e.filename)"],
    () => trigger("/bin/cat", [file]),
    (o) => o.includes(file),
  );
  assert.ok(r.stdout.split("\n").includes(file), r.stdout.slice(0, 2000));
  // A string comparison stays in TypeScript; --fields/--format apply as in ecli run.
  let pid = 0;
  r = await traceWhile(
    [OPENAT, "--filter", `e.filename == ${JSON.stringify(file)}`, "--format", "json"],
    async () => pid = (await trigger("/bin/cat", [file])).pid,
    (o) => o.includes(file),
  );
  const [line, ...rest] = r.stdout.split("\n");
  const e = JSON.parse(line);
  assert.deepEqual(rest, [""]);
  assert.deepEqual(
    { pid: e.pid, tid: e.tid, comm: e.comm, dfd: e.dfd, filename: e.filename, nr: e.syscall_nr },
    { pid, tid: pid, comm: "cat", dfd: -100, filename: file, nr: 257 },
  );
  assert.equal(typeof e.ts, "number");
});

/** A handler that counts the events it gets and prints the kernel's `submitted` counter. */
function countingHandler(): string {
  const h = join(scratchDir(), "count.ts");
  writeFileSync(
    h,
    `let seen = 0;
export default {
  event() { seen++; return "event"; },
  stop(ctx: { maps: Record<string, { get(k: number): unknown }>; emit(v: unknown): void }) {
    ctx.emit(\`seen \${seen} submitted \${ctx.maps.submitted.get(0)}\`);
  },
};
`,
  );
  return h;
}

hostKernelTest(
  "--filter on integer fields runs in the kernel: only matches are submitted",
  async () => {
    const file = uniqueFile();
    const handler = countingHandler();
    const opens = (n: number) => `for i in $(seq ${n}); do : < ${file}; done`;
    const run = async (filter: (pid: number) => string) => {
      // Three opens by the traced shell, two by another one at the same time.
      const traced = gatedShell(opens(3));
      const other = gatedShell(opens(2));
      const r = await traceWhile(
        [OPENAT, "--filter", filter(traced.pid), "--handler", handler, "--verbose"],
        () => Promise.all([traced.release(), other.release()]),
        // Stopped once the three matches have arrived.
        (o) => o.split("event\n").length > 3,
      );
      const m = /^(?:event\n){3}seen (\d+) submitted (\d+)$/.exec(r.stdout.trim());
      assert.ok(m, r.stdout);
      return { seen: Number(m[1]), submitted: Number(m[2]), stderr: r.stderr };
    };
    const kernel = await run((pid) => `e.pid == ${pid} && e.dfd < 0`);
    assert.match(kernel.stderr, /filter in the kernel: e->pid == \d+ULL && e->dfd < 0LL$/m);
    assert.deepEqual([kernel.seen, kernel.submitted], [3, 3]);
    // The same predicate with a string test cannot run in the kernel: everything is submitted.
    const user = await run((pid) => `e.pid == ${pid} && e.comm == "sh"`);
    assert.match(user.stderr, /filter in TypeScript$/m);
    assert.equal(user.seen, 3);
    assert.ok(user.submitted >= 5, `submitted ${user.submitted}`);
  },
);

hostKernelTest("--count-by comm counts the triggers' execs in the kernel", async () => {
  const marker = uniqueCopy("/bin/true", "trcnt");
  const r = await traceWhile(
    ["tracepoint:sched:sched_process_exec", "--count-by", "comm", "--interval", "0.2"],
    async () => {
      for (let i = 0; i < 3; i++) await trigger(marker.path);
    },
    (o) => new RegExp(`^${marker.comm} +3$`, "m").test(o),
  );
  assert.match(r.stdout, /^\d\d:\d\d:\d\d\nCOMM +COUNT\n/);
  assert.match(r.stdout, new RegExp(`^${marker.comm} +3$`, "m"));
});

hostKernelTest("--hist draws the log2 histogram of a field, counted in the kernel", async () => {
  const dd = gatedShell("exec dd if=/dev/zero of=/dev/null bs=3000 count=4 status=none");
  const r = await traceWhile(
    [
      "tracepoint:syscalls:sys_enter_read",
      "--hist",
      "count",
      "--filter",
      `e.pid == ${dd.pid} && e.count == 3000`,
      "--interval",
      "0.2",
    ],
    () => dd.release(),
    (o) => o.includes("2048 -> 4095"),
  );
  const last = r.stdout.split(/^\d\d:\d\d:\d\d\n/m).at(-1)!;
  assert.equal(
    last.split("\n").slice(0, 2).join("\n") + "\n" + last.split("\n").slice(12).join("\n"),
    "     count               : count    distribution\n" +
      "         0 -> 1          : 0        |                                        |\n" +
      "      2048 -> 4095       : 4        |****************************************|\n",
  );
});

hostKernelTest("a uprobe on libc's fchmodat sees chmod's arguments", async () => {
  const ldd = spawnSync("ldd", ["/bin/chmod"], { encoding: "utf8" }).stdout;
  const libc = /libc\.so\.6 => (\S+)/.exec(ldd)![1];
  const file = uniqueFile();
  let pid = 0;
  const r = await traceWhile(
    [`uprobe:${libc}:fchmodat`, "--filter", "e.arg2 == 0o612", "--fields", "pid,comm,arg2"],
    async () => pid = (await trigger("/bin/chmod", ["612", file])).pid,
    (o) => o.includes(" 394"),
  );
  assert.match(
    r.stdout,
    new RegExp(`^TIME +PID +COMM +ARG2 *\\n\\d\\d:\\d\\d:\\d\\d +${pid} +chmod +394\\n$`),
  );
});

hostKernelTest(
  "--list shows a tracepoint's typed fields; --types lets a handler check",
  async () => {
    const l = await runCli(["trace", "--list", "tracepoint:syscalls:sys_enter_openat"]);
    assert.equal(l.code, 0, l.stderr);
    assert.equal(
      l.stdout,
      "tracepoint:syscalls:sys_enter_openat\n    int __syscall_nr (e.syscall_nr)\n    int dfd\n" +
        "    const char * filename\n    int flags\n    umode_t mode\n",
    );
    const dir = scratchDir();
    const types = join(dir, "openat.d.ts");
    const t = await runCli(["trace", OPENAT, "--types", types]);
    assert.equal(t.code, 0, t.stderr);
    assert.equal(t.stderr, `ecli: wrote ${types}\n`);
    const check = (body: string) => {
      const h = join(dir, "h.ts");
      writeFileSync(h, `import type { Handler } from "./openat.d.ts";\n${body}\n`);
      return spawnSync("deno", ["check", h], { encoding: "utf8" });
    };
    const good = check(
      "export default ((e) => e.dfd < 0 ? `${e.comm} ${e.filename.length}` : undefined) satisfies Handler;",
    );
    assert.equal(good.status, 0, good.stderr);
    const bad = check("export default ((e) => e.fname) satisfies Handler;");
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /Property 'fname' does not exist/);
  },
);

hostKernelTest("bad probes, fields and missing probe kinds are one line each", async () => {
  const cases: [string[], string][] = [
    [
      ["tracepoint:syscalls:sys_enter_opnat"],
      "unknown tracepoint 'tracepoint:syscalls:sys_enter_opnat'; close matches: " +
      "tracepoint:syscalls:sys_enter_openat, tracepoint:syscalls:sys_enter_openat2, " +
      "tracepoint:syscalls:sys_enter_creat",
    ],
    [
      ["fentry:do_sys_opnat2"],
      "unknown kernel function 'fentry:do_sys_opnat2'; close matches: fentry:do_sys_openat2, " +
      "fentry:do_sys_open",
    ],
    [
      ["bogus:x"],
      "unknown probe 'bogus:x': a probe is KIND:TARGET with KIND one of tracepoint, fentry, " +
      "fexit, kprobe, kretprobe, uprobe, uretprobe (e.g. tracepoint:syscalls:sys_enter_openat)",
    ],
    [
      [OPENAT, "--filter", "e.nosuch == 1"],
      "--filter: unknown field 'nosuch' (the events have: ts, pid, tid, comm, syscall_nr, dfd, " +
      "filename, flags, mode)",
    ],
    [
      [OPENAT, "--count-by", "nosuch"],
      "--count-by: unknown field 'nosuch' (the events have: ts, pid, tid, comm, syscall_nr, " +
      "dfd, filename, flags, mode)",
    ],
    [
      [OPENAT, "--hist", "filename"],
      "--hist: field 'filename' is not an integer (const char * filename)",
    ],
  ];
  if (!hasKprobes()) {
    cases.push([
      ["kprobe:do_sys_openat2"],
      "kprobe:do_sys_openat2: this kernel has no kprobe support (CONFIG_KPROBES is off); " +
      "try fentry:do_sys_openat2",
    ]);
  }
  if (featureMissing("fentry") && !hasKprobes()) {
    cases.push([
      ["fentry:do_sys_openat2", "--duration", "1"],
      "fentry:do_sys_openat2: this kernel refuses BPF tracing programs (fentry/fexit) even for " +
      "root; this kernel has no kprobes either: use tracepoints (ecli trace --list 'tracepoint:*')",
    ]);
  }
  for (const [args, line] of cases) {
    const r = await runCli(["trace", ...args]);
    assert.deepEqual(
      [r.code, r.stdout, r.stderr],
      [1, "", `ecli: error: ${line}\n`],
      args.join(" "),
    );
  }
});
