/**
 * ecc end to end: compile the bundled examples with the CLI and compare the metadata with what
 * upstream ecc emits for the same sources (expectations written by hand from the reference:
 * key order, object and internal map names, idents, mmaped, attach strings, type strings,
 * doc comments, export types).
 */
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Buffer } from "node:buffer";
import { inflateSync } from "node:zlib";
import { parse as parseYaml } from "yaml";
import { ROOT, runCli, sh } from "../support/cli.ts";

const tmp = () => mkdtempSync(join(tmpdir(), "ecc-e2e-"));

/** The BTF type id of `struct NAME`, as stock bpftool reports it (an independent oracle). */
async function bpftoolStructId(object: string, name: string): Promise<number> {
  const dump = await sh("bpftool", ["btf", "dump", "file", object]);
  const m = dump.match(new RegExp(`^\\[(\\d+)\\] STRUCT '${name}' `, "m"));
  assert.ok(m, `bpftool sees no struct ${name}`);
  return Number(m[1]);
}

async function compileExample(name: string, extra: string[] = []) {
  const out = tmp();
  const ex = `${ROOT}/examples/${name}`;
  const r = await runCli([
    "compile",
    `${ex}/${name}.bpf.c`,
    `${ex}/${name}.h`,
    "-o",
    out,
    ...extra,
  ]);
  assert.equal(r.code, 0, r.stderr);
  return out;
}

const dummy = { name: "__eunomia_dummy_event_ptr", type: "struct event *" };

Deno.test("ecc procsnoop: meta equals upstream's for the same source", async () => {
  const out = await compileExample("procsnoop");
  const typeId = await bpftoolStructId(`${out}/procsnoop.bpf.o`, "event");
  const expected = {
    bpf_skel: {
      data_sections: [
        {
          name: ".rodata",
          variables: [{
            description:
              "Report only processes that lived at least this many nanoseconds (0: report every exec and exit)",
            name: "min_duration_ns",
            type: "unsigned long long",
          }],
        },
        { name: ".bss", variables: [dummy] },
      ],
      doc: {
        brief: "Trace process exec and exit.",
        details: "One event per exec (command name and path) and per process exit\n" +
          " (exit code and how long the process lived), through a ring buffer.",
        version: "0.1",
      },
      maps: [
        {
          description: "Exec time of every live process, keyed by pid",
          ident: "exec_start",
          name: "exec_start",
        },
        { description: "Exec and exit events", ident: "rb", name: "rb" },
        { ident: "rodata", mmaped: true, name: "procsnoo.rodata" },
        { ident: "bss", mmaped: true, name: "procsnoo.bss" },
      ],
      obj_name: "procsnoop_bpf",
      progs: [
        { attach: "tp/sched/sched_process_exec", link: true, name: "handle_exec" },
        { attach: "tp/sched/sched_process_exit", link: true, name: "handle_exit" },
      ],
    },
    eunomia_version: "0.3.4",
    export_types: [{
      members: [
        { name: "pid", type: "int" },
        { name: "ppid", type: "int" },
        { name: "exit_code", type: "unsigned int" },
        { name: "duration_ns", type: "unsigned long long" },
        { name: "comm", type: "char[16]" },
        { name: "filename", type: "char[127]" },
        { name: "exit_event", type: "bool" },
      ],
      name: "event",
      size: 168,
      type_id: typeId,
    }],
  };
  // Byte-exact: compact JSON, keys sorted as upstream's serde writes them.
  const skel = readFileSync(`${out}/procsnoop.skel.json`, "utf8");
  assert.equal(skel, JSON.stringify(expected));
  const pkgText = readFileSync(`${out}/package.json`, "utf8");
  assert.ok(pkgText.startsWith('{"bpf_object":"eJ'), "keys bpf_object, bpf_object_size, meta");
  const pkg = JSON.parse(pkgText);
  assert.deepEqual(Object.keys(pkg), ["bpf_object", "bpf_object_size", "meta"]);
  assert.deepEqual(pkg.meta, expected);
  const elf = inflateSync(Buffer.from(pkg.bpf_object, "base64"));
  assert.equal(elf.length, pkg.bpf_object_size);
  assert.deepEqual(new Uint8Array(elf), new Uint8Array(readFileSync(`${out}/procsnoop.bpf.o`)));
  // Stripped: no DWARF left, BTF kept.
  const sections = await sh("llvm-readelf", ["-S", `${out}/procsnoop.bpf.o`]);
  assert.ok(!sections.includes(".debug_info"), "debug info stripped");
  assert.ok(sections.includes(".BTF.ext"), "BTF.ext kept");
});

Deno.test("ecc opensnoop: bool @cmdarg flag, pid filter, LICENSE description", async () => {
  const out = await compileExample("opensnoop");
  const typeId = await bpftoolStructId(`${out}/opensnoop.bpf.o`, "event");
  const meta = JSON.parse(readFileSync(`${out}/package.json`, "utf8")).meta;
  const tp = (dir: string, call: string) => ({
    attach: `tracepoint/syscalls/sys_${dir}_${call}`,
    link: true,
    name: `tracepoint__syscalls__sys_${dir}_${call}`,
  });
  assert.equal(
    JSON.stringify(meta),
    JSON.stringify({
      bpf_skel: {
        data_sections: [
          {
            name: ".rodata",
            variables: [
              {
                description: "Trace only this process id (0: every process)",
                name: "pid_target",
                type: "pid_t",
              },
              {
                cmdarg: { default: false, long: "failed", short: "f" },
                description: "Report only failed opens",
                name: "targ_failed",
                type: "bool",
              },
            ],
          },
          { name: ".bss", variables: [dummy] },
        ],
        doc: {
          description: "Trace open() and openat() calls: who opened which path, and the result.",
        },
        maps: [
          { ident: "start", name: "start" },
          { ident: "events", name: "events" },
          { ident: "rodata", mmaped: true, name: "opensnoo.rodata" },
          { ident: "bss", mmaped: true, name: "opensnoo.bss" },
        ],
        obj_name: "opensnoop_bpf",
        progs: [
          tp("enter", "open"),
          tp("enter", "openat"),
          tp("exit", "open"),
          tp("exit", "openat"),
        ],
      },
      eunomia_version: "0.3.4",
      export_types: [{
        members: [
          { name: "ts", type: "unsigned long long" },
          { name: "pid", type: "int" },
          { name: "uid", type: "int" },
          { name: "ret", type: "int" },
          { name: "flags", type: "int" },
          { name: "comm", type: "char[16]" },
          { name: "fname", type: "char[255]" },
        ],
        name: "event",
        size: 296,
        type_id: typeId,
      }],
    }),
  );
});

Deno.test("ecc -y writes YAML, -n skips the package, -o creates the directory", async () => {
  const base = tmp();
  const out = join(base, "a", "b");
  const ex = `${ROOT}/examples/procsnoop`;
  const r = await runCli([
    "compile",
    `${ex}/procsnoop.bpf.c`,
    `${ex}/procsnoop.h`,
    "-y",
    "-o",
    out,
  ]);
  assert.equal(r.code, 0, r.stderr);
  const pkg = parseYaml(readFileSync(`${out}/package.yaml`, "utf8"));
  assert.equal(pkg.meta.bpf_skel.obj_name, "procsnoop_bpf");
  assert.ok(existsSync(`${out}/procsnoop.skel.yaml`));
  const info = await runCli(["info", `${out}/package.yaml`]);
  assert.equal(info.code, 0, info.stderr);
  assert.match(info.stdout, /^procsnoop_bpf — Trace process exec and exit\.$/m);

  const out2 = join(base, "n");
  const n = await runCli(["compile", `${ex}/procsnoop.bpf.c`, "-n", "-o", out2]);
  assert.equal(n.code, 0, n.stderr);
  assert.ok(existsSync(`${out2}/procsnoop.bpf.o`));
  assert.ok(existsSync(`${out2}/procsnoop.skel.json`));
  assert.ok(!existsSync(`${out2}/package.json`));
  // Without a header there are no export types and no dummy variable.
  const skel = JSON.parse(readFileSync(`${out2}/procsnoop.skel.json`, "utf8"));
  assert.equal(skel.export_types, undefined);
  assert.deepEqual(skel.bpf_skel.data_sections.map((s: { name: string }) => s.name), [".rodata"]);
});

Deno.test("ecc --header-only exports the header's structs", async () => {
  const dir = tmp();
  writeFileSync(
    `${dir}/types.h`,
    "struct point { int x; int y; };\n/* struct ghost { int a; }; */\nstruct line { struct point a, b; };\n",
  );
  const r = await runCli(["compile", `${dir}/types.h`, "--header-only"]);
  assert.equal(r.code, 0, r.stderr);
  const meta = JSON.parse(readFileSync(`${dir}/package.json`, "utf8")).meta;
  assert.deepEqual(
    meta.export_types.map((t: { name: string; size: number; members: unknown[] }) => [
      t.name,
      t.size,
      t.members,
    ]),
    [
      ["point", 8, [{ name: "x", type: "int" }, { name: "y", type: "int" }]],
      ["line", 16, [{ name: "a", type: "composite" }, { name: "b", type: "composite" }]],
    ],
  );
  assert.equal(meta.bpf_skel.progs, undefined, "no programs: key omitted as upstream");
});

Deno.test("ecc -a passes extra clang flags", async () => {
  const dir = tmp();
  writeFileSync(
    `${dir}/flag.bpf.c`,
    "#ifndef WANT\n#error WANT not set\n#endif\nconst volatile int v = WANT;\n",
  );
  const bad = await runCli(["compile", `${dir}/flag.bpf.c`]);
  assert.equal(bad.code, 1);
  const good = await runCli(["compile", `${dir}/flag.bpf.c`, "-a", "-DWANT=3"]);
  assert.equal(good.code, 0, good.stderr);
});

Deno.test("ecc errors: one clear line, exit 1, no stack trace", async () => {
  const dir = tmp();
  const cases: [string[], RegExp][] = [
    [["compile", `${dir}/missing.bpf.c`], /^ecc: error: source \S+missing\.bpf\.c: no such file$/],
    [["compile"], /^ecc: error: missing <SOURCE_PATH> \(see ecc --help\)$/],
    [["compile", "a.c", "b.h", "c"], /^ecc: error: unexpected argument 'c' \(see ecc --help\)$/],
    [["compile", "--bogus"], /^ecc: error: Unknown option '--bogus'.*\(see ecc --help\)$/],
    [["frobnicate"], /^ecli: error: unknown command 'frobnicate' \(see ecli --help\)$/],
  ];
  writeFileSync(`${dir}/ok.bpf.c`, "int x;\n");
  writeFileSync(`${dir}/empty.h`, "/* struct commented { int a; }; */\ntypedef int pid_like;\n");
  cases.push([
    ["compile", `${dir}/ok.bpf.c`, `${dir}/empty.h`],
    /^ecc: error: header \S+empty\.h: defines no struct to export \('struct NAME \{'\)$/,
  ]);
  writeFileSync(`${dir}/nouse.h`, "struct unused_ev { int a; };\n");
  cases.push([
    ["compile", `${dir}/ok.bpf.c`, `${dir}/nouse.h`],
    /^ecc: error: \S+nouse\.h: none of its structs \(unused_ev\) is in the object's BTF; does the source #include the header\?$/,
  ]);
  cases.push([
    ["compile", `${dir}/ok.bpf.c`, "-c", "/nonexistent/clang"],
    /^ecc: error: \/nonexistent\/clang not found: install it \(Debian: apt-get install clang\) or pass its path$/,
  ]);
  for (const [args, msg] of cases) {
    const r = await runCli(args);
    assert.equal(r.code, 1, `${args.join(" ")}: ${r.stderr}`);
    assert.equal(r.stderr.trimEnd().split("\n").length, 1, `one line: ${r.stderr}`);
    assert.match(r.stderr.trimEnd(), msg);
  }
});

Deno.test("ecc shows clang's own diagnostics on the user's file, then one error line", async () => {
  const dir = tmp();
  writeFileSync(`${dir}/broken.bpf.c`, "int main(void) {\n  return undefined_thing;\n}\n");
  writeFileSync(`${dir}/broken.h`, "struct ev { int a; };\n");
  const r = await runCli(["compile", `${dir}/broken.bpf.c`, `${dir}/broken.h`]);
  assert.equal(r.code, 1);
  const lines = r.stderr.trimEnd().split("\n");
  assert.match(
    r.stderr,
    new RegExp(
      `${dir}/broken\\.bpf\\.c:2:10: error: use of undeclared identifier 'undefined_thing'`,
    ),
  );
  assert.match(
    lines.at(-1)!,
    new RegExp(`^ecc: error: clang failed \\(exit code 1\\) compiling ${dir}/broken\\.bpf\\.c$`),
  );
  assert.ok(!r.stderr.includes(" at "), "no stack trace");
});

Deno.test("ecli info rejects a package whose object is not ELF, naming the file", async () => {
  const dir = tmp();
  const garbage = Buffer.from(
    (await import("node:zlib")).deflateSync(new TextEncoder().encode("garbage")),
  ).toString("base64");
  const pkg = {
    bpf_object: garbage,
    bpf_object_size: 7,
    meta: { bpf_skel: { obj_name: "x", data_sections: [], maps: [], progs: [] } },
  };
  writeFileSync(`${dir}/package.json`, JSON.stringify(pkg));
  const r = await runCli(["info", `${dir}/package.json`]);
  assert.equal(r.code, 1);
  assert.equal(
    r.stderr,
    `ecli: error: ${dir}/package.json: bpf_object: not an ELF file (bad magic)\n`,
  );
  writeFileSync(`${dir}/bad.json`, "{nope");
  const bad = await runCli(["info", `${dir}/bad.json`]);
  assert.match(bad.stderr, /^ecli: error: \S+bad\.json: not valid JSON: .+\n$/);
});

Deno.test("vmlinux.h: rendered from kernel BTF once and cached; bundled one on request", async () => {
  const cache = tmp();
  const ex = `${ROOT}/examples/opensnoop`;
  const args = ["compile", `${ex}/opensnoop.bpf.c`, `${ex}/opensnoop.h`, "-v", "-o", cache];
  const env = { ECLI_CACHE_DIR: cache };
  const first = await runCli(args, { env });
  assert.equal(first.code, 0, first.stderr);
  const m = first.stderr.match(/^vmlinux\.h: (\S+) \(kernel\)$/m);
  assert.ok(m, first.stderr);
  assert.ok(m[1].startsWith(`${cache}/vmlinux/`));
  const header = `${m[1]}/vmlinux.h`;
  const mtime = Deno.statSync(header).mtime;
  assert.match(readFileSync(header, "utf8"), /^struct task_struct \{$/m);
  const second = await runCli(args, { env });
  assert.equal(second.code, 0, second.stderr);
  assert.deepEqual(Deno.statSync(header).mtime, mtime, "cached header reused");
  // Every command ecc runs is shown with -v.
  assert.match(
    second.stderr,
    /^clang -g -O2 -target bpf -Wno-unknown-attributes -D__TARGET_ARCH_x86 /m,
  );
  assert.match(
    second.stderr,
    /^strip debug info \(built-in\): \S+opensnoop\.bpf\.o \(\d+ -> \d+ bytes\)$/m,
  );

  const bundled = await runCli(args, { env: { ...env, ECC_VMLINUX_BTF: "none" } });
  assert.equal(bundled.code, 0, bundled.stderr);
  assert.match(bundled.stderr, /^vmlinux\.h: \S+\/vmlinux\/bundled-x86-[0-9a-f]{16} \(bundled\)$/m);
});
