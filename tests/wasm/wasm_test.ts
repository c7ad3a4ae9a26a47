/**
 * lib/wasm through its API, in this process (so what a guest left loaded shows in our own
 * fds): a hash-map histogram guest, a perf buffer guest, pause/resume, stop (cooperative and
 * for a guest spinning without host calls), captured stdout/stderr lines, and traps and bad
 * pointers that leave nothing loaded.
 */
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { startWasmModule, type WasmRun } from "../../lib/wasm/mod.ts";
import { sleep } from "../support/cli.ts";
import {
  bpfProgramIdsOf,
  buildHostTool,
  hostKernelTest,
  scratchDir,
  trigger,
  uniqueCopy,
  until,
} from "../support/kernel.ts";
import { guest, type GuestName } from "./guests.ts";

/** A guest started through the API, its output lines collected. */
async function start(
  name: GuestName,
  args: string[] = [],
): Promise<{ run: WasmRun; out: string[]; err: string[] }> {
  const bytes = new Uint8Array(readFileSync(await guest(name)));
  const out: string[] = [];
  const err: string[] = [];
  const run = startWasmModule(bytes, {
    args: [`${name}.wasm`, ...args],
    onLine: (stream, line) => (stream === "stdout" ? out : err).push(line),
  });
  return { run, out, err };
}

const WRITER = `
#include <fcntl.h>
#include <unistd.h>
int main(void) {
  static char b[2000];
  int fd = open("/dev/null", O_WRONLY);
  int sizes[] = {1, 2, 3, 100, 100, 1000};
  for (int i = 0; i < 6; i++) write(fd, b, sizes[i]);
  return 0;
}`;

hostKernelTest(
  "wasm guest: a log2 histogram read from a hash map (get_next_key, lookup, delete)",
  async () => {
    const before = bpfProgramIdsOf(Deno.pid);
    const writer = uniqueCopy(buildHostTool("writer", WRITER), "wh");
    const { run, out, err } = await start("writehist", [writer.comm, "6"]);
    assert.ok(await until(() => out.includes("ready"), 20_000), err.join("\n"));
    await trigger(writer.path);
    const r = await run.done;
    assert.deepEqual(r, { code: 0, error: undefined, stopped: undefined }, err.join("\n"));
    assert.deepEqual(out, [
      "ready",
      "slot 0 [1, 2): 1",
      "slot 1 [2, 4): 2",
      "slot 6 [64, 128): 2",
      "slot 9 [512, 1024): 1",
      "after delete: get_next_key = -2",
    ]);
    assert.deepEqual(bpfProgramIdsOf(Deno.pid), before);
  },
);

hostKernelTest(
  "wasm guest: perf buffer records reach the callback; pause holds it, resume lets it on",
  async () => {
    const before = bpfProgramIdsOf(Deno.pid);
    const target = uniqueCopy("/bin/true", "ep");
    const { run, out, err } = await start("execperf", [target.comm]);
    assert.ok(await until(() => out.includes("ready"), 20_000), err.join("\n"));
    run.pause();
    await sleep(150);
    const { pid } = await trigger(target.path);
    await sleep(500);
    assert.deepEqual(out, ["ready"], "a paused guest printed");
    run.resume();
    const r = await run.done;
    assert.equal(r.code, 0, err.join("\n"));
    // 4 + 16 + 4 (padding) + 8 bytes, and the perf record's 4-byte size header rounds it to 36.
    assert.deepEqual(out, ["ready", `exec pid=${pid} comm=${target.comm} size=36`]);
    assert.deepEqual(bpfProgramIdsOf(Deno.pid), before);
  },
);

hostKernelTest(
  "wasm guest: stop unwinds a polling and a sleeping guest, ends a spinning one; nothing stays loaded",
  async () => {
    const before = bpfProgramIdsOf(Deno.pid);
    for (const name of ["loaded", "sleep", "spin"] as const) {
      const { run, out } = await start(name);
      assert.ok(await until(() => out.includes("attached"), 20_000), name);
      assert.equal(bpfProgramIdsOf(Deno.pid).length, before.length + 1, `${name}: program held`);
      const t0 = performance.now();
      run.stop();
      const r = await run.done;
      assert.equal(r.stopped, true);
      if (name !== "spin") {
        // Cooperative: the guest was inside a poll or a sleep, which return at the stop request.
        assert.equal(r.error, undefined);
        assert.ok(performance.now() - t0 < 1000);
      } else {
        assert.match(r.error!, /did not reach a host call within 2000 ms/);
      }
      // The spinning guest's thread was ended: its objects were released from this thread.
      assert.deepEqual(bpfProgramIdsOf(Deno.pid), before, name);
    }
  },
);

hostKernelTest(
  "wasm guest: a trap and bad pointers are errors of the guest, nothing stays loaded",
  async () => {
    const before = bpfProgramIdsOf(Deno.pid);
    const trap = await start("trap");
    const t = await trap.run.done;
    assert.equal(t.code, 1);
    assert.match(t.error!, /^guest trapped: /);
    assert.deepEqual(trap.out, ["attached"]);
    assert.deepEqual(bpfProgramIdsOf(Deno.pid), before);

    const oob = await start("oob");
    const o = await oob.run.done;
    assert.equal(o.code, 1);
    assert.deepEqual(oob.out, ["load=0 name=-14 attach=-14 key=-14 poll=-14 cb=-22 close_bad=-22"]);
    assert.deepEqual(oob.err, ["oob: every bad pointer was refused"]);
    assert.deepEqual(bpfProgramIdsOf(Deno.pid), before);
  },
);

Deno.test("startWasmModule rejects a module with unknown imports before running it", () => {
  const path = join(scratchDir(), "empty.wasm");
  // (module (import "env" "f" (func)) (memory (export "memory") 1) (func (export "_start")))
  writeFileSync(
    path,
    new Uint8Array([
      0,
      97,
      115,
      109,
      1,
      0,
      0,
      0,
      1,
      4,
      1,
      96,
      0,
      0,
      2,
      9,
      1,
      3,
      101,
      110,
      118,
      1,
      102,
      0,
      0,
      3,
      2,
      1,
      0,
      5,
      3,
      1,
      0,
      1,
      7,
      19,
      2,
      6,
      109,
      101,
      109,
      111,
      114,
      121,
      2,
      0,
      6,
      95,
      115,
      116,
      97,
      114,
      116,
      0,
      1,
      10,
      4,
      1,
      2,
      0,
      11,
    ]),
  );
  assert.throws(
    () => startWasmModule(new Uint8Array(readFileSync(path)), { args: ["x"] }),
    /^WasmError: the module imports what this host does not provide: env\.f$/,
  );
});

Deno.test("ecc -w writes <name>.wasm.h: packed structs with the BPF side's padding", async () => {
  const dir = scratchDir();
  const { compile } = await import("../../compile/mod.ts");
  const r = await compile({
    source: "examples/procsnoop/procsnoop.bpf.c",
    exportHeader: "examples/procsnoop/procsnoop.h",
    outputDir: dir,
    noPackage: true,
    wasmHeader: true,
  });
  assert.equal(r.files.wasmHeader, join(dir, "procsnoop.wasm.h"));
  assert.equal(
    readFileSync(r.files.wasmHeader!, "utf8"),
    `/* Generated by ecc -w: event structs with the BPF side's layout, for wasm32 guests. */
#ifndef __PROCSNOOP_WASM_H__
#define __PROCSNOOP_WASM_H__

#include <assert.h>
#include <stdbool.h>
#include <stdint.h>

struct event {
\tint32_t pid;
\tint32_t ppid;
\tuint32_t exit_code;
\tchar __pad0[4];
\tuint64_t duration_ns;
\tchar comm[16];
\tchar filename[127];
\tbool exit_event;
} __attribute__((packed));
static_assert(sizeof(struct event) == 168, "struct event: BPF layout");

#endif /* __PROCSNOOP_WASM_H__ */
`,
  );
});
