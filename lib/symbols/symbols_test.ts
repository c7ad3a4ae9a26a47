import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  ElfSymbols,
  FoldedStacks,
  foldStack,
  formatStackTrace,
  KernelSymbols,
  parseProcMaps,
  stackResolver,
  stackTraceConfig,
  Symbolizer,
  usdtProbes,
} from "./mod.ts";

const dir = mkdtempSync(join(tmpdir(), "ecli-symbols-"));
globalThis.addEventListener("unload", () => rmSync(dir, { recursive: true, force: true }));

/** Builds a host program with clang; returns its path. */
function build(name: string, source: string, flags: string[] = []): string {
  writeFileSync(join(dir, `${name}.c`), source);
  const exe = join(dir, name);
  const r = spawnSync("clang", ["-O1", ...flags, "-o", exe, join(dir, `${name}.c`)], {
    encoding: "utf8",
  });
  if (r.status !== 0) throw new Error(`clang ${name}.c: ${r.stderr}`);
  return exe;
}

const KALLSYMS = [
  "ffffffff81000000 T _stext",
  "ffffffff81000100 t do_thing",
  "0000000000000000 A fixed_percpu_data",
  "ffffffff81000200 D some_data",
  "ffffffffc0000000 t mod_fn\t[veth]",
  "garbage line",
].join("\n");

Deno.test("KernelSymbols resolves to the closest text symbol below, with its module", () => {
  const k = new KernelSymbols(KALLSYMS);
  assert.equal(k.size, 3); // data, zero addresses and junk are skipped
  assert.deepEqual(k.resolve(0xffffffff81000123n), {
    addr: 0xffffffff81000123n,
    sym: "do_thing",
    offset: 0x23,
    module: "kernel",
  });
  assert.equal(k.resolve(0xffffffffc0000010n).module, "veth");
  assert.equal(k.resolve(0x1000n).sym, null);
});

Deno.test("parseProcMaps keeps executable mappings with their offsets and paths", () => {
  const maps = parseProcMaps([
    "55d0c0a00000-55d0c0a01000 r--p 00000000 08:01 1234 /usr/bin/prog",
    "55d0c0a01000-55d0c0a02000 r-xp 00001000 08:01 1234 /usr/bin/prog",
    "7f0000000000-7f0000021000 rw-p 00000000 00:00 0 ",
    "7ffd1a3fe000-7ffd1a400000 r-xp 00000000 00:00 0                          [vdso]",
    "7f1000000000-7f1000001000 r-xp 00002000 08:01 99 /tmp/gone (deleted)",
  ].join("\n"));
  assert.deepEqual(maps, [
    { start: 0x55d0c0a01000, end: 0x55d0c0a02000, offset: 0x1000, path: "/usr/bin/prog" },
    { start: 0x7ffd1a3fe000, end: 0x7ffd1a400000, offset: 0, path: "[vdso]" },
    { start: 0x7f1000000000, end: 0x7f1000001000, offset: 0x2000, path: "/tmp/gone" },
  ]);
});

const PROG = `
#include <stdio.h>
__attribute__((noinline)) int marker_alpha(int x) { return x * 3 + 1; }
__attribute__((noinline)) int marker_beta(int x) { return marker_alpha(x) - 2; }
int main(int argc, char **argv) { printf("%d\\n", marker_beta(argc)); return 0; }
`;

Deno.test("ElfSymbols reads .symtab, the build-id and the file-offset → address map", () => {
  const exe = build("syms", PROG, ["-Wl,--build-id=sha1"]);
  const s = ElfSymbols.read(exe);
  assert.match(s.buildId ?? "", /^[0-9a-f]{40}$/);
  assert.ok(s.hasSymbol("marker_alpha") && s.hasSymbol("main"));
  // nm gives the linked address; a PIE's .text is mapped at file offset == address here.
  const nm = spawnSync("nm", [exe], { encoding: "utf8" }).stdout;
  const addr = parseInt(/^([0-9a-f]+) T marker_beta$/m.exec(nm)![1], 16);
  assert.deepEqual(s.symbolAt(addr + 3), { name: "marker_beta", offset: 3 });
  assert.equal(s.addressOf(addr), addr);
});

Deno.test("ElfSymbols falls back to .dynsym when the binary is stripped", () => {
  const exe = build("stripped", PROG, ["-rdynamic", "-s"]);
  const s = ElfSymbols.read(exe);
  assert.ok(s.hasSymbol("marker_alpha"), "exported function found in .dynsym");
});

Deno.test("Symbolizer maps a user address through the mapping to the file's symbol", () => {
  const exe = build("mapped", PROG);
  const nm = spawnSync("nm", [exe], { encoding: "utf8" }).stdout;
  const alpha = parseInt(/^([0-9a-f]+) T marker_alpha$/m.exec(nm)![1], 16);
  const page = alpha & ~0xfff;
  let fileReads = 0;
  const symbols = new Symbolizer({
    kernel: () => new KernelSymbols(KALLSYMS),
    // The text page mapped at 0x400000 + its file offset, as the loader would.
    maps: () => [{ start: 0x7000_0000_0000, end: 0x7000_0010_0000, offset: page, path: exe }],
    file: (p) => (fileReads++, ElfSymbols.read(p)),
  });
  const at = BigInt(0x7000_0000_0000 + (alpha - page) + 5);
  const f = symbols.user(42, at);
  assert.deepEqual(f, { addr: at, sym: "marker_alpha", offset: 5, module: exe });
  symbols.user(43, at);
  assert.equal(fileReads, 1, "a file is read once for every process mapping it");
  assert.deepEqual(symbols.user(42, 0x10n), { addr: 0x10n, sym: null, offset: 0, module: null });
});

Deno.test("usdtProbes lists the .note.stapsdt probes of a binary", () => {
  const exe = build(
    "sdt",
    `#include <sys/sdt.h>
int main(int argc, char **argv) { long v = argc; DTRACE_PROBE2(prov_x, probe_y, v, argc); return 0; }`,
  );
  const probes = usdtProbes(Deno.readFileSync(exe));
  assert.equal(probes.length, 1);
  assert.equal(probes[0].provider, "prov_x");
  assert.equal(probes[0].name, "probe_y");
  assert.match(probes[0].args, /^-?8@\S+ -?4@\S+$/);
});

Deno.test("the stack_trace interpreter prints upstream's text for an unsymbolised event", () => {
  // upstream's test_stacktrace_exporter: with_symbols false, kstack 2 frames, ustack 16.
  const config = stackTraceConfig({ stack_trace: { with_symbols: false } }, "events")!;
  const r = stackResolver(config, new Symbolizer());
  const u = Array.from({ length: 128 }, (_, i) => (i < 16 ? 0x10000n + BigInt(i) : 0n));
  const k = Array.from({ length: 128 }, (_, i) => (i < 2 ? 0x10000n + BigInt(i) : 0n));
  const e = r.resolve({
    pid: 4660,
    cpu_id: 22136,
    comm: "test-comm",
    kstack_sz: 16,
    ustack_sz: 128,
    kstack: k,
    ustack: u,
  })!;
  const user = Array.from(
    { length: 16 },
    (_, i) => `  ${i} [<${(0x10000 + i).toString(16).padStart(16, "0")}>]\n`,
  ).join("");
  assert.equal(
    formatStackTrace(e),
    "COMM: test-comm (pid=4660) @ CPU 22136\nKernel:\n  0 [<0000000000010000>]\n" +
      "  1 [<0000000000010001>]\nUserspace:\n" + user,
  );
  assert.equal(
    r.resolve({ pid: 1, kstack_sz: 0, ustack_sz: -14, kstack: k, ustack: u }),
    undefined,
  );
});

Deno.test("stack ids are read through the stack map; a negative id is no stack", () => {
  const symbols = new Symbolizer({
    kernel: () => new KernelSymbols(KALLSYMS),
    maps: () => [],
  });
  const config = stackTraceConfig(
    { stack_trace: { field_map: { kstack: "kid", ustack: "uid" } } },
    "counts",
  )!;
  const stored = new Map([[3, [0xffffffff81000105n, 0xffffffff81000001n]]]);
  const r = stackResolver(config, symbols, (id) => stored.get(id));
  const e = r.resolve({ pid: 7, comm: "spin", kid: 3, uid: -14 })!;
  assert.deepEqual(e.kstack.map((f) => [f.sym, f.offset]), [["do_thing", 5], ["_stext", 1]]);
  assert.deepEqual(e.ustack, []);
  assert.equal(
    formatStackTrace(e),
    "COMM: spin (pid=7) @ CPU 0\nKernel:\n  0 [<ffffffff81000105>] do_thing+0x5\n" +
      "  1 [<ffffffff81000001>] _stext+0x1\nNo Userspace Stack\n",
  );
  const framed = r.withFrames({ pid: 7, comm: "spin", kid: 3, uid: -14 });
  assert.deepEqual(framed.uid, []);
  assert.equal(r.withFrames(5 as unknown as Record<string, unknown>), 5, "a scalar passes");
  assert.equal((framed.kid as { sym: string }[])[0].sym, "do_thing");
  assert.throws(() => stackTraceConfig({ stack_trace: { with_symbols: 1 } }, "m"), /with_symbols/);
  assert.throws(() => stackTraceConfig({ other: {} }, "m"), /unknown intepreter/);
});

Deno.test("folded stacks: root first, kernel frames marked, most frequent first", () => {
  const frame = (sym: string | null, module: string | null = null) => ({
    addr: 1n,
    sym,
    offset: 0,
    module,
  });
  const e = {
    pid: 1,
    cpu_id: 0,
    comm: "app",
    ustack: [frame("leaf"), frame(null, "/usr/lib/libc.so.6"), frame("main")],
    kstack: [frame("kleaf"), frame("entry")],
  };
  assert.equal(foldStack(e), "app;main;[libc.so.6];leaf;entry_[k];kleaf_[k]");
  const f = new FoldedStacks();
  f.add({ ...e, kstack: [] }, 2);
  f.add(e, 3);
  f.add(e);
  assert.equal(
    f.text(),
    "app;main;[libc.so.6];leaf;entry_[k];kleaf_[k] 4\napp;main;[libc.so.6];leaf 2\n",
  );
});
