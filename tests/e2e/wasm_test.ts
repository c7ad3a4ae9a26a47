/**
 * `ecli run prog.wasm` / `ecli info prog.wasm` through the CLI (deno, bun and dist/ecli):
 * guests built here from C with clang-14 and wasi-libc; a triggered exec/exit seen through
 * the guest's ring buffer callback, Ctrl-C releasing what it loaded, bad modules failing with
 * one line.
 */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { runCli, startRun, waitFor } from "../support/cli.ts";
import {
  bpfProgramIdsOf,
  hostKernelTest,
  loadedProgramIds,
  scratchDir,
  trigger,
  uniqueCopy,
} from "../support/kernel.ts";
import { guest } from "../wasm/guests.ts";

hostKernelTest(
  "ecli run bootstrap.wasm: the guest prints a triggered exec and exit; Ctrl-C releases it",
  async () => {
    const wasm = await guest("bootstrap");
    const run = startRun([wasm]);
    run.attached.catch(() => {}); // a guest prints its own readiness
    await waitFor(run, (o) => o.startsWith("TIME     EVENT COMM"), 20_000);
    assert.match(run.stdout(), /^TIME {5}EVENT COMM {13}PID {5}PPID {4}FILENAME\/EXIT CODE\n/);
    const ids = bpfProgramIdsOf(run.pid);
    assert.equal(ids.length, 2, `programs held by ecli: ${ids}`);

    const { path, comm } = uniqueCopy("/bin/false", "wb");
    const { pid } = await trigger(path);
    await waitFor(run, (o) => o.includes(`EXIT  ${comm.padEnd(16)} ${pid}`));
    const out = run.stdout();
    const exec = out.split("\n").find((l) => l.includes(`EXEC  ${comm.padEnd(16)} `));
    assert.ok(exec, out);
    assert.match(
      exec,
      new RegExp(`^\\d\\d:\\d\\d:\\d\\d EXEC  ${comm} +${pid} +${Deno.pid} +${path}$`),
    );
    const exit = out.split("\n").find((l) => l.includes(`EXIT  ${comm.padEnd(16)} `))!;
    assert.match(
      exit,
      new RegExp(`^\\d\\d:\\d\\d:\\d\\d EXIT  ${comm} +${pid} +${Deno.pid} +\\[1\\] \\(\\d+ms\\)$`),
    );

    const r = await run.stop("SIGINT");
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, "");
    const left = loadedProgramIds().filter((id) => ids.includes(id));
    assert.deepEqual(left, [], "programs still loaded after Ctrl-C");
  },
);

hostKernelTest("ecli run: bad wasm modules fail with one line and exit 1", async () => {
  const dir = scratchDir();
  const notWasm = join(dir, "notwasm.wasm");
  writeFileSync(notWasm, "not a module\n");
  const cases: [string, RegExp][] = [
    [notWasm, new RegExp(`^ecli: error: ${notWasm}: not a valid WebAssembly module: .+\\n$`)],
    [
      await guest("unknown"),
      /^ecli: error: \S+unknown\.wasm: the module imports what this host does not provide: env\.mystery, wasm_bpf\.wasm_bpf_bogus\n$/,
    ],
    [await guest("trap"), /^ecli: error: \S+trap\.wasm: guest trapped: [^\n]+\n$/],
    [await guest("oob"), /^oob: every bad pointer was refused\n$/],
    [await guest("corrupt"), /^corrupt: wasm_load_bpf_object returned 0\n$/],
  ];
  for (const [file, stderr] of cases) {
    const r = await runCli(["run", file]);
    assert.equal(r.code, 1, `${file}: ${r.stderr}`);
    assert.match(r.stderr, stderr);
  }
  // The out-of-bounds guest got -EFAULT for every bad pointer, -EINVAL for a bad callback
  // index and an unknown handle, and 0 (failure) for a load from outside its memory.
  const oob = await runCli(["run", await guest("oob")]);
  assert.equal(
    oob.stdout,
    "load=0 name=-14 attach=-14 key=-14 poll=-14 cb=-22 close_bad=-22\n",
  );
});

hostKernelTest(
  "ecli info prog.wasm lists imports, exports and the embedded BPF object",
  async () => {
    const wasm = await guest("bootstrap");
    const r = await runCli(["info", wasm]);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.split("\n");
    assert.match(lines[0], /^\S+bootstrap\.wasm: WebAssembly module \(wasm-bpf\), \d+ bytes$/);
    assert.equal(lines[1], "imports:");
    assert.equal(
      lines[2],
      "  wasm_bpf: wasm_load_bpf_object, wasm_attach_bpf_program, wasm_close_bpf_object, " +
        "wasm_bpf_map_fd_by_name, wasm_bpf_buffer_poll",
    );
    assert.match(lines[3], /^ {2}wasi_snapshot_preview1: args_get, .*fd_write.*proc_exit/);
    assert.equal(lines[4], "exports: memory, __indirect_function_table, _start");
    assert.equal(lines[5], "embedded BPF objects: 1");
    assert.match(lines[6], /^ {2}at offset \d+, \d+ bytes$/);
    assert.equal(
      lines[7],
      "    programs: handle_exec (tp/sched/sched_process_exec), handle_exit (tp/sched/sched_process_exit)",
    );
    assert.equal(lines[8], "    maps: exec_start, rb");
  },
);
