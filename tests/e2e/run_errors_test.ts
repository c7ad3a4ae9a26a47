/**
 * Bad input to `ecli run`: one clear error line naming what is wrong, exit code 1, nothing
 * left loaded in the kernel.
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runCli } from "../support/cli.ts";
import { kernelTest, loadedProgramNames } from "../support/kernel.ts";
import { compileExample, compileForTest } from "../support/build.ts";

const dir = mkdtempSync(join(tmpdir(), "ecli-run-errors-"));
let good: Record<string, unknown> | undefined;

async function goodPackage(): Promise<Record<string, unknown>> {
  if (!good) {
    good = JSON.parse(Deno.readTextFileSync(await compileExample("procsnoop", dir)));
  }
  return structuredClone(good!);
}

async function expectError(
  file: string,
  extra: string[],
  message: string,
  env?: Record<string, string>,
) {
  const r = await runCli(["run", file, ...extra], { env });
  assert.equal(r.code, 1, `${file}: ${r.stderr}`);
  assert.equal(r.stderr, `ecli: error: ${message}\n`);
  assert.equal(r.stdout, "");
}

function write(name: string, value: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, typeof value === "string" ? value : JSON.stringify(value));
  return path;
}

Deno.test("ecli run rejects broken packages with one line naming the problem", async () => {
  const p = await goodPackage();
  const notJson = write("a.json", "{nope");
  const r = await runCli(["run", notJson]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, new RegExp(`^ecli: error: ${notJson}: not valid JSON: .+\\n$`));

  await expectError(
    write("b.json", { ...p, bpf_object: "!!!!" }),
    [],
    `${dir}/b.json: bpf_object: malformed base64`,
  );
  await expectError(
    write("c.json", { ...p, bpf_object: Buffer.from("plain text, not zlib").toString("base64") }),
    [],
    `${dir}/c.json: bpf_object: malformed zlib data (incorrect header check)`,
  );
  const size = p.bpf_object_size as number;
  await expectError(
    write("d.json", { ...p, bpf_object_size: size + 1 }),
    [],
    `${dir}/d.json: bpf_object_size: ${
      size + 1
    } in the package, but the object inflates to ${size} bytes`,
  );
  const schema = await goodPackage();
  (schema.meta as { bpf_skel: { progs: unknown[] } }).bpf_skel.progs[1] = { name: "handle_exit" };
  await expectError(
    write("e.json", schema),
    [],
    `${dir}/e.json: meta.bpf_skel.progs[1].attach: missing (expected string)`,
  );
  await expectError(join(dir, "missing.json"), [], `${dir}/missing.json: no such file`);
  await expectError(dir, [], `${dir}: is a directory`);
});

kernelTest(
  "ecli run rejects bad flags, missing maps, bad kernel BTF, and leaves nothing loaded",
  async () => {
    const p = await goodPackage();
    const pkg = write("good.json", p);
    await expectError(
      pkg,
      ["--nope"],
      "unknown program flag '--nope' (see: ecli run <package> --help)",
    );
    await expectError(
      pkg,
      ["--min_duration_ns", "-5"],
      "--min_duration_ns: -5 is out of range for unsigned long long (0..18446744073709551615) (see: ecli run <package> --help)",
    );
    await expectError(
      pkg,
      ["--min_duration_ns"],
      "--min_duration_ns needs a value (unsigned long long) (see: ecli run <package> --help)",
    );
    const ghost = await goodPackage();
    (ghost.meta as { bpf_skel: { maps: unknown[] } }).bpf_skel.maps.push({
      name: "ghost",
      ident: "ghost",
    });
    await expectError(
      write("ghost.json", ghost),
      [],
      "map 'ghost' named in the package meta is not in the BPF object",
    );
    await expectError(
      pkg,
      [],
      `BTF_FILE_PATH=${dir} is a directory; it must name a BTF file (such as /sys/kernel/btf/vmlinux)`,
      {
        BTF_FILE_PATH: dir,
      },
    );
    await expectError(pkg, [], `BTF_FILE_PATH=${dir}/none: no such file`, {
      BTF_FILE_PATH: `${dir}/none`,
    });
  },
);

kernelTest(
  "a verifier rejection names the program and the verifier's verdict, and hints --verbose",
  async () => {
    writeFileSync(
      join(dir, "reject.bpf.c"),
      `#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
struct { __uint(type, BPF_MAP_TYPE_HASH); __uint(max_entries, 8); __type(key, u32); __type(value, u64); } counts SEC(".maps");
SEC("tp/sched/sched_process_exec")
int unchecked(void *ctx) {
  u32 key = 0;
  u64 *v = bpf_map_lookup_elem(&counts, &key);
  return *v; /* no NULL check: the verifier refuses this */
}
char LICENSE[] SEC("license") = "GPL";
`,
    );
    const r = await compileForTest({
      source: join(dir, "reject.bpf.c"),
      outputDir: join(dir, "reject"),
    });
    const quiet = await runCli(["run", r.files.package!]);
    assert.equal(quiet.code, 1);
    assert.equal(
      quiet.stderr,
      "ecli: error: Failed to load BPF object 'reject_bpf': program 'unchecked' was rejected by the kernel " +
        "(Permission denied): R0 invalid mem access 'map_value_or_null'; run with --verbose for libbpf's log\n",
    );
    const verbose = await runCli(["run", r.files.package!, "--verbose"]);
    assert.equal(verbose.code, 1);
    // The verifier's log itself, instruction by instruction.
    assert.match(verbose.stderr, /^libbpf: .*-- BEGIN PROG LOAD LOG --$/m);
    assert.match(verbose.stderr, /R0 invalid mem access 'map_value_or_null'/);
    assert.ok(!loadedProgramNames().includes("unchecked"));
  },
);

Deno.test("packages load from a URL and from stdin", async () => {
  const p = await goodPackage();
  const text = JSON.stringify(p);
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    (req) =>
      new URL(req.url).pathname === "/package.json"
        ? new Response(text)
        : new Response("gone", { status: 404 }),
  );
  try {
    const url = `http://127.0.0.1:${server.addr.port}`;
    const ok = await runCli(["info", `${url}/package.json`]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /^procsnoop_bpf — Trace process exec and exit\.$/m);
    const missing = await runCli(["info", `${url}/nope.json`]);
    assert.equal(missing.stderr, `ecli: error: ${url}/nope.json: HTTP 404\n`);
  } finally {
    await server.shutdown();
  }
  const stdin = await runCli(["info", "-"], { stdin: text });
  assert.equal(stdin.code, 0, stdin.stderr);
  assert.match(stdin.stdout, /^ {4}handle_exec {14}tp\/sched\/sched_process_exec$/m);
});
