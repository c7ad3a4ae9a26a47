/**
 * TypeScript handlers on the real kernel: filter, aggregate, async with a bounded queue,
 * exceptions, `-e`, and the programmatic iterator.
 */
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ROOT, runCli, sleep, startRun, waitFor } from "../support/cli.ts";
import {
  bpfProgramIdsOf,
  gatedCommand,
  hostKernelTest,
  kernelTest,
  loadedProgramIds,
  trigger,
  uniqueCopy,
} from "../support/kernel.ts";
import { compileExample } from "../support/build.ts";
import { loadPackage, run } from "../../mod.ts";

const work = mkdtempSync(join(tmpdir(), "ecli-handler-e2e-"));
let procsnoop: Promise<string> | undefined;
const pkgPath = () => procsnoop ??= compileExample("procsnoop", work);

function handlerFile(name: string, code: string): string {
  const path = join(work, name);
  writeFileSync(path, code);
  return path;
}

kernelTest("a handler filters events and emits its own table rows", async () => {
  const marker = uniqueCopy("/bin/true", "fmark");
  const h = handlerFile(
    "filter.ts",
    `export default (e: { comm: string; pid: number; exit_event: boolean }) =>
      e.comm === ${
      JSON.stringify(marker.comm)
    } ? { pid: e.pid, what: e.exit_event ? "exit" : "exec" } : undefined;\n`,
  );
  const r = startRun([await pkgPath(), "--handler", h]);
  await r.attached;
  const { pid } = await trigger(marker.path);
  await waitFor(r, (o) => o.includes("exit"));
  const done = await r.stop();
  assert.equal(done.code, 0, done.stderr);
  const lines = done.stdout.trimEnd().split("\n");
  assert.deepEqual(lines[0], "TIME     PID    WHAT   ");
  assert.equal(lines.length, 3, done.stdout);
  assert.match(lines[1], new RegExp(`^\\d\\d:\\d\\d:\\d\\d  ${pid} +exec$`));
  assert.match(lines[2], new RegExp(`^\\d\\d:\\d\\d:\\d\\d  ${pid} +exit$`));
});

kernelTest("a handler aggregates with start/event/stop hooks and ctx.args", async () => {
  const marker = uniqueCopy("/bin/true", "amark");
  const h = handlerFile(
    "aggregate.ts",
    `const seen = new Map<string, number>();
let started = "";
export default {
  start(ctx: { args: Record<string, unknown>; map: string }) { started = \`min=\${ctx.args.min_duration_ns}\`; },
  event(e: { comm: string; exit_event: boolean }) {
    if (e.exit_event) seen.set(e.comm, (seen.get(e.comm) ?? 0) + 1);
  },
  stop(ctx: { emit(v: unknown): void }) {
    ctx.emit({ started, marker: seen.get(${JSON.stringify(marker.comm)}) ?? 0 });
  },
};\n`,
  );
  const r = startRun([await pkgPath(), "--json", "--handler", h, "--min_duration_ns", "5"]);
  await r.attached;
  for (let i = 0; i < 3; i++) await trigger(marker.path);
  await sleep(300);
  const done = await r.stop();
  assert.equal(done.code, 0, done.stderr);
  assert.equal(done.stdout, '{"started":"min=5","marker":3}\n');
});

kernelTest(
  "an async handler is awaited in order and loses nothing within the queue bound",
  async () => {
    const marker = uniqueCopy("/bin/true", "smark");
    const h = handlerFile(
      "async.ts",
      `let n = 0; const order: number[] = [];
export default {
  async event(e: { comm: string; pid: number; exit_event: boolean }) {
    if (e.comm !== ${JSON.stringify(marker.comm)}) return;
    await new Promise((r) => setTimeout(r, 5));
    order.push(e.pid); n++;
  },
  stop() { return { n, sorted: order.every((p, i) => i === 0 || p >= order[i - 1]) }; },
};\n`,
    );
    const r = startRun([await pkgPath(), "--json", "--handler", h]);
    await r.attached;
    for (let i = 0; i < 40; i++) await trigger(marker.path);
    await sleep(1000);
    const done = await r.stop();
    assert.equal(done.code, 0, done.stderr);
    assert.equal(done.stdout, '{"n":80,"sorted":true}\n');
    assert.ok(!done.stderr.includes("dropped"), done.stderr);
  },
);

kernelTest("past the queue bound events are dropped, counted and reported", async () => {
  const marker = uniqueCopy("/bin/true", "qmark");
  // The first event holds the handler until the gate file appears (after every trigger), so
  // the outcome does not depend on how fast the machine runs the triggers.
  const gate = join(work, `gate-${marker.comm}`);
  const h = handlerFile(
    "slow.ts",
    `import { existsSync } from "node:fs";
let n = 0;
export default {
  async event(e: { comm: string }) {
    n++;
    while (!existsSync(${JSON.stringify(gate)})) await new Promise((r) => setTimeout(r, 20));
  },
  stop() { return \`handled \${n}\`; },
};\n`,
  );
  const r = startRun([await pkgPath(), "--handler", h, "--queue", "3"]);
  await r.attached;
  for (let i = 0; i < 10; i++) await trigger(marker.path);
  await sleep(200);
  // Stop first (nothing new is read after SIGINT), then let the handler go on.
  const stopping = r.stop();
  await sleep(300);
  writeFileSync(gate, "");
  const done = await stopping;
  assert.equal(done.code, 0, done.stderr);
  const dropped = done.stderr.match(
    /^ecli: (\d+) events dropped while the handler was busy \(queue limit 3\)$/m,
  );
  assert.ok(dropped, done.stderr);
  const handled = Number(done.stdout.match(/^handled (\d+)$/m)?.[1]);
  // One in the handler, three queued; the rest of the ≥ 20 events were dropped.
  assert.equal(handled, 4);
  assert.ok(Number(dropped[1]) >= 16, dropped[0]);
});

kernelTest("a handler exception prints the user's stack, tears down and exits 1", async () => {
  const marker = uniqueCopy("/bin/true", "xmark");
  const h = handlerFile(
    "throws.ts",
    `function check(e: { comm: string }) {
  if (e.comm === ${JSON.stringify(marker.comm)}) throw new Error("no " + e.comm);
}
export default (e: { comm: string }) => check(e);\n`,
  );
  const r = startRun([await pkgPath(), "--handler", h]);
  await r.attached;
  const ours = bpfProgramIdsOf(r.pid);
  await trigger(marker.path);
  const done = await r.done;
  assert.equal(done.code, 1);
  const err = done.stderr.split("\n").filter((l) => !l.startsWith("ecli: procsnoop_bpf:"));
  assert.equal(err[0], `Error: no ${marker.comm}`);
  // Deno writes file URLs, Bun plain paths: either way the user's file and line.
  assert.match(err[1], new RegExp(`^    at check \\((file://)?${h}:2:\\d+\\)$`));
  // Every frame shown is the user's (Bun may inline the arrow function's own frame).
  const last = err.findIndex((l) => l.startsWith("ecli: error:"));
  for (const frame of err.slice(2, last)) {
    assert.match(frame, new RegExp(`^    at .*\\((file://)?${h}:\\d+:\\d+\\)$`));
  }
  assert.equal(err[last], `ecli: error: handler event() threw: no ${marker.comm}`);
  assert.ok(!done.stderr.includes(ROOT), "none of our frames");
  assert.deepEqual(loadedProgramIds().filter((id) => ours.includes(id)), []);

  const cont = startRun([await pkgPath(), "--handler", h, "--on-error", "continue"]);
  await cont.attached;
  await trigger(marker.path);
  await trigger(marker.path);
  await sleep(300);
  const c = await cont.stop();
  assert.equal(c.code, 0);
  assert.equal(c.stderr.match(/handler event\(\) threw: no \w+ \(continuing\)/g)?.length, 4);
});

kernelTest("-e runs an inline handler with e and emit in scope", async () => {
  const marker = uniqueCopy("/bin/true", "emark");
  const r = startRun([
    await pkgPath(),
    "-e",
    `if (e.comm === ${
      JSON.stringify(marker.comm)
    } && e.exit_event) emit(e.comm + " exited " + e.exit_code)`,
  ]);
  await r.attached;
  await trigger(marker.path);
  await waitFor(r, (o) => o.includes("exited"));
  const done = await r.stop();
  assert.equal(done.stdout, `${marker.comm} exited 0\n`);
});

hostKernelTest(
  "view and batch handlers read the events' fields and keep them with toObject()",
  async () => {
    for (const form of ["view", "batch"]) {
      const marker = uniqueCopy("/bin/true", form === "view" ? "vmark" : "bmark");
      const comm = JSON.stringify(marker.comm);
      // Both forms print one line per event of the marker, then a kept event, and check that
      // a view kept from an earlier call refuses reads.
      const h = handlerFile(
        `${form}.ts`,
        `let kept: { comm: string; exit_event: boolean } | undefined;
let stale: { pid: number } | undefined;
function one(v: any, ctx: any) {
  if (v.comm !== ${comm}) return;
  ctx.emit(\`${form} \${v.comm} \${v.pid} \${v.exit_event ? "exit " + v.exit_code : "exec"} \${typeof v.duration_ns}\`);
  if (v.exit_event) {
    let refused = "n/a";
    try { if (stale) void stale.pid, refused = "no"; } catch (e) { refused = (e as Error).name; }
    ctx.emit(\`kept \${kept!.comm} \${kept!.exit_event}; stale view: \${refused}\`);
  } else {
    kept = v.toObject();
    // A batch's cursor stays valid for its whole batch (exec and exit may share one).
    if (${JSON.stringify(form)} === "view") stale = v;
  }
}
export default ${
          form === "view"
            ? "{ view: one }"
            : "{ batch(b: any, ctx: any) { for (let i = 0; i < b.length; i++) one(b.at(i), ctx); } }"
        };
`,
      );
      const r = startRun([await pkgPath(), "--handler", h]);
      await r.attached;
      const { pid } = await trigger(marker.path);
      await waitFor(r, (o) => o.includes("stale view"));
      const done = await r.stop();
      assert.equal(done.code, 0, done.stderr);
      assert.equal(
        done.stdout,
        `${form} ${marker.comm} ${pid} exec bigint\n` +
          `${form} ${marker.comm} ${pid} exit 0 bigint\n` +
          `kept ${marker.comm} false; stale view: ${
            form === "view" ? "DetachedViewError" : "n/a"
          }\n`,
      );
    }
  },
);

Deno.test("broken handler modules are refused before anything is attached", async () => {
  const pkg = await pkgPath();
  const cases: [string, string][] = [
    ["nodefault.ts", "export const x = 1;\n"],
    ["number.ts", "export default 42;\n"],
    ["badhook.ts", "export default { event: 1 };\n"],
    ["unknown.ts", "export default { onEvent() {} };\n"],
    ["syntax.ts", "export default (e => {;\n"],
    ["twoforms.ts", "export default { event() {}, view() {} };\n"],
  ];
  const expected = [
    /^ecli: error: \S+nodefault\.ts: no default export \(export default a function or an object of hooks\)$/,
    /^ecli: error: \S+number\.ts: default export: .+ \(a function \(event, ctx\) or an object with start\/event\/view\/batch\/sample\/stop\)$/,
    /^ecli: error: \S+badhook\.ts: default export( \.event)?: .+$/,
    /^ecli: error: \S+unknown\.ts: default export: .+$/,
    /^ecli: error: \S+syntax\.ts: cannot load the handler: .+$/,
    /^ecli: error: \S+twoforms\.ts: default export: event, view and batch are alternatives; give one \(/,
  ];
  for (const [i, [name, code]] of cases.entries()) {
    const r = await runCli(["run", pkg, "--handler", handlerFile(name, code)]);
    assert.equal(r.code, 1, name);
    assert.match(r.stderr.trimEnd().split("\n").at(-1)!, expected[i], r.stderr);
    assert.ok(!r.stderr.includes("attached"), "refused before attach");
  }
  const missing = await runCli(["run", pkg, "--handler", join(work, "nope.ts")]);
  assert.equal(missing.stderr, `ecli: error: ${join(work, "nope.ts")}: no such file\n`);
});

kernelTest(
  "run() from mod.ts: an async iterable of decoded events, torn down by await using",
  async () => {
    const marker = uniqueCopy("/bin/true", "imark");
    let ours: number[] = [];
    const got: unknown[] = [];
    {
      await using prog = await run(await loadPackage(await pkgPath()));
      ours = bpfProgramIdsOf(Deno.pid).filter((id) => !loadedBefore.includes(id));
      assert.equal(prog.name, "procsnoop_bpf");
      assert.deepEqual(prog.args, { min_duration_ns: 0n });
      const { pid } = await trigger(marker.path);
      for await (const e of prog) {
        const ev = e as { pid: number; comm: string; exit_event: boolean };
        if (ev.pid !== pid) continue;
        got.push([ev.comm, ev.exit_event]);
        if (ev.exit_event) break;
      }
    }
    assert.deepEqual(got, [[marker.comm, false], [marker.comm, true]]);
    assert.ok(ours.length >= 2);
    assert.deepEqual(loadedProgramIds().filter((id) => ours.includes(id)), []);
  },
);

const loadedBefore = loadedProgramIds();

kernelTest(
  "a handler writes a BPF map to steer the kernel (examples/execfilter/follow.ts)",
  async () => {
    const ex = `${ROOT}/examples/execfilter`;
    const pkg = await compileExample("execfilter", work);
    const marker = uniqueCopy("/bin/true", "wmark");
    const follow = ["--json", "--handler", `${ex}/follow.ts`];

    // Nothing watched: the kernel sends nothing.
    const idle = startRun([pkg, ...follow], { WATCH_PIDS: "" });
    await idle.attached;
    await trigger("sh", ["-c", `sleep 0.2; ${marker.path}`]);
    await sleep(300);
    const quiet = await idle.stop();
    assert.equal(quiet.stdout, '"WATCH_PIDS is empty: nothing to follow"\n');

    // Watching this process: its child sh is reported, the handler then watches sh, and the
    // kernel reports sh's own child too.
    const r = startRun([pkg, ...follow], { WATCH_PIDS: String(Deno.pid) });
    await r.attached;
    const sh = await trigger("sh", ["-c", `sleep 0.3; ${marker.path}`]);
    await waitFor(r, (o) => o.includes(marker.comm));
    const done = await r.stop();
    assert.equal(done.code, 0, done.stderr);
    const events = done.stdout.trim().split("\n").map((l) => JSON.parse(l));
    assert.deepEqual(events.find((e) => e.pid === sh.pid), {
      pid: sh.pid,
      ppid: Deno.pid,
      comm: "sh",
    });
    const child = events.find((e) => e.comm === marker.comm);
    assert.equal(child?.ppid, sh.pid, "reported only because the handler watched sh");
    const known = new Set([Deno.pid, ...events.map((e) => e.pid)]);
    assert.deepEqual(events.filter((e) => !known.has(e.ppid)), [], "only watched trees");
  },
);

kernelTest("examples/opensnoop/top_files.ts aggregates opens per process and file", async () => {
  const ex = `${ROOT}/examples/opensnoop`;
  const pkg = await compileExample("opensnoop", work);
  // One process opening the same file three times (shell redirections open it).
  const shell = uniqueCopy("/bin/dash", "tfmark");
  // Filtered in the kernel to the marker shell: on a busy machine other processes' opens
  // would otherwise fill the perf buffer and the top rows.
  const sh = gatedCommand(shell.path, [
    "-c",
    "read a < /etc/hostname; read a < /etc/hostname; read a < /etc/hostname",
  ]);
  const pid = sh.pid;
  const r = startRun([
    pkg,
    "--json",
    "--handler",
    `${ex}/top_files.ts`,
    "--pid_target",
    String(pid),
  ], { TOP_INTERVAL_MS: "60000" });
  await r.attached;
  await sh.go();
  await sleep(300);
  const done = await r.stop();
  assert.equal(done.code, 0, done.stderr);
  const rows = done.stdout.trim().split("\n").map((l) => JSON.parse(l));
  assert.deepEqual(rows.find((x) => x.pid === pid && x.file === "/etc/hostname"), {
    comm: shell.comm,
    pid,
    file: "/etc/hostname",
    opens: 3,
  });
  // Sorted by opens, at most TOP_N (10) rows.
  assert.ok(rows.length <= 10);
  assert.deepEqual(rows.map((x) => x.opens), [...rows.map((x) => x.opens)].sort((a, b) => b - a));
});
