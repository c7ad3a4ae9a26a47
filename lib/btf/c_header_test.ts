import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Btf } from "./btf.ts";
import { assignCNames, renderCHeader } from "./c_header.ts";
import { readBpfObject } from "./object.ts";
import { parseBtf } from "./parse.ts";
import { type BtfType, type CompositeType, Kind } from "./types.ts";

const KERNEL_BTF = "/sys/kernel/btf/vmlinux";
const INCLUDE = fileURLToPath(new URL("../../compile/include", import.meta.url));
const noKernelBtf = !existsSync(KERNEL_BTF) && Deno.env.get("CI") !== "true";
if (noKernelBtf) console.log(`skipping kernel tests: ${KERNEL_BTF} is missing`);

/** Runs clang in `dir`; throws with its diagnostics when it fails. */
function clang(dir: string, args: string[]): void {
  const r = spawnSync("clang", args, { cwd: dir, encoding: "utf8" });
  if (r.error) throw r.error;
  if (r.status !== 0) {
    throw new Error(`clang ${args.join(" ")} failed:\n${r.stderr.slice(0, 4000)}`);
  }
}

/** Runs `fn` with a fresh temporary directory, removed afterwards. */
function withTempDir<T>(fn: (dir: string) => T): T {
  const dir = mkdtempSync(join(tmpdir(), "c-header-test-"));
  try {
    return fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

let kernel: { btf: Btf; header: string; ms: number } | undefined;
function kernelHeader() {
  if (!kernel) {
    const btf = parseBtf(readFileSync(KERNEL_BTF));
    const t0 = performance.now();
    const header = renderCHeader(btf);
    kernel = { btf, header, ms: performance.now() - t0 };
  }
  return kernel;
}

/**
 * A C file of `_Static_assert`s, built from BTF alone: the size of every named struct/union
 * (and typedef of an anonymous one) and the offset of each named non-bitfield member,
 * nested anonymous members included.
 */
function layoutAsserts(btf: Btf): { source: string; composites: number; members: number } {
  const names = assignCNames(btf).types;
  const lines = ['#include "vmlinux.h"'];
  let composites = 0;
  let members = 0;
  for (const t of btf.types) {
    let spelling = "";
    let target: BtfType = t;
    if ((t.kind === Kind.STRUCT || t.kind === Kind.UNION) && t.name) {
      spelling = `${t.kind === Kind.UNION ? "union" : "struct"} ${names[t.id]}`;
    } else if (t.kind === Kind.TYPEDEF && names[t.id] !== "__builtin_va_list") {
      target = btf.types[t.type];
      if ((target.kind === Kind.STRUCT || target.kind === Kind.UNION) && !target.name) {
        spelling = names[t.id];
      }
    }
    if (!spelling || (target.kind !== Kind.STRUCT && target.kind !== Kind.UNION)) continue;
    composites++;
    lines.push(`_Static_assert(sizeof(${spelling}) == ${target.size}, "sizeof ${spelling}");`);
    const seen = new Set<string>();
    for (const m of btf.flatMembers(target.id)) {
      if (!m.name || m.bitSize || seen.has(m.name)) continue;
      seen.add(m.name);
      members++;
      lines.push(
        `_Static_assert(__builtin_offsetof(${spelling}, ${m.name}) == ${
          m.bitOffset / 8
        }, "${spelling}.${m.name}");`,
      );
    }
  }
  return { source: lines.join("\n") + "\n", composites, members };
}

/** Checks layout asserts for `btf` against `header`; returns what was checked. */
function checkLayout(btf: Btf, header: string) {
  const asserts = layoutAsserts(btf);
  withTempDir((dir) => {
    writeFileSync(join(dir, "vmlinux.h"), header);
    writeFileSync(join(dir, "layout.c"), asserts.source);
    clang(dir, ["-target", "bpf", "-fsyntax-only", "-I.", "layout.c"]);
  });
  return asserts;
}

/**
 * Compiles `header` with a variable of each of `roots` and compares, for every named
 * struct/union clang put in the object's BTF, the size and each member's name, bit offset and
 * bitfield width with `btf`: what `offsetof` cannot check (bitfields) included.
 */
function checkRoundTrip(btf: Btf, header: string, roots: number[]) {
  const names = assignCNames(btf).types;
  const keyword = (t: BtfType) => t.kind === Kind.UNION ? "union" : "struct";
  const spell = (t: BtfType) => `${keyword(t)} ${names[t.id]}`;
  const source = ['#include "vmlinux.h"'];
  for (const id of roots) source.push(`${spell(btf.types[id])} root${id};`);
  const obj = withTempDir((dir) => {
    writeFileSync(join(dir, "vmlinux.h"), header);
    writeFileSync(join(dir, "roots.c"), source.join("\n") + "\n");
    clang(dir, ["-g", "-target", "bpf", "-I.", "-c", "roots.c", "-o", "roots.o"]);
    return readBpfObject(readFileSync(join(dir, "roots.o"))).btf;
  });
  const compiled = new Map<string, CompositeType>();
  for (const t of obj.types) {
    // The object's names are the header's spellings already.
    if (t.kind === Kind.STRUCT || t.kind === Kind.UNION) compiled.set(`${keyword(t)} ${t.name}`, t);
  }
  const fields = (b: Btf, id: number) =>
    b.flatMembers(id).map((m) => `${m.name}@${m.bitOffset}:${m.bitSize}`).join(" ");
  for (const id of roots) {
    assert.ok(compiled.has(spell(btf.types[id])), `${spell(btf.types[id])} is in the object`);
  }
  let composites = 0;
  let bitfields = 0;
  for (const t of btf.types) {
    if ((t.kind !== Kind.STRUCT && t.kind !== Kind.UNION) || !t.name) continue;
    const c = compiled.get(spell(t));
    if (!c) continue;
    assert.equal(c.size, t.size, `sizeof ${spell(t)}`);
    assert.equal(fields(obj, c.id), fields(btf, t.id), `members of ${spell(t)}`);
    composites++;
    bitfields += t.members.filter((m) => m.bitSize).length;
  }
  return { composites, bitfields };
}

Deno.test({
  name: "renderCHeader: kernel vmlinux.h compiles a CO-RE program",
  ignore: noKernelBtf,
  fn() {
    const { btf, header, ms } = kernelHeader();
    // The time is reported, not asserted (timings belong to benchmarks on this noisy machine).
    console.log(`rendered ${btf.types.length} kernel types in ${ms.toFixed(0)} ms`);
    assert.ok(header.startsWith("#ifndef __VMLINUX_H__\n#define __VMLINUX_H__\n"));
    assert.ok(header.includes(
      "#pragma clang attribute push (__attribute__((preserve_access_index)), apply_to = record)",
    ));
    assert.ok(header.trimEnd().endsWith("#endif /* __VMLINUX_H__ */"));

    // Each named struct/union/enum is defined exactly once, and nothing else is.
    const names = assignCNames(btf).types;
    const expected = new Set<string>();
    let typedefs = 0;
    for (const t of btf.types) {
      if ((t.kind === Kind.STRUCT || t.kind === Kind.UNION) && t.name) {
        expected.add(`${t.kind === Kind.UNION ? "union" : "struct"} ${names[t.id]}`);
      } else if ((t.kind === Kind.ENUM || t.kind === Kind.ENUM64) && t.name && t.values.length) {
        expected.add(`enum ${names[t.id]}`);
      } else if (t.kind === Kind.TYPEDEF && names[t.id] !== "__builtin_va_list") typedefs++;
    }
    const defined = new Map<string, number>();
    for (const m of header.matchAll(/^((?:struct|union|enum) \w+) \{/gm)) {
      defined.set(m[1], (defined.get(m[1]) ?? 0) + 1);
    }
    for (const key of expected) assert.equal(defined.get(key), 1, `${key} defined once`);
    assert.equal(defined.size, expected.size);
    assert.equal(header.match(/^typedef /gm)?.length, typedefs);

    const prog = `
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} events SEC(".maps");

SEC("tp/raw_syscalls/sys_enter")
int on_enter(struct trace_event_raw_sys_enter *ctx)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	pid_t ppid = BPF_CORE_READ(task, real_parent, tgid);
	u64 *e = bpf_ringbuf_reserve(&events, 2 * sizeof(u64), 0);
	if (!e)
		return 0;
	e[0] = ctx->id;
	e[1] = ppid;
	bpf_ringbuf_submit(e, 0);
	return 0;
}

SEC("kprobe/tcp_sendmsg")
int BPF_KPROBE(on_send, struct sock *sk, struct msghdr *msg, size_t size)
{
	u16 family = BPF_CORE_READ(sk, __sk_common.skc_family);
	bpf_printk("send %d %lu", family, size);
	return 0;
}

SEC("tp_btf/netif_receive_skb")
int BPF_PROG(on_skb, struct sk_buff *skb)
{
	struct task_struct *task = bpf_get_current_task_btf();
	bpf_printk("len %u pid %d any %d", skb->len, task->pid, BPF_ANY);
	return 0;
}
`;
    withTempDir((dir) => {
      writeFileSync(join(dir, "vmlinux.h"), header);
      writeFileSync(join(dir, "prog.c"), prog);
      clang(dir, [
        "-g",
        "-O2",
        "-target",
        "bpf",
        "-D__TARGET_ARCH_x86",
        "-Wall",
        "-Werror",
        `-I${dir}`,
        `-I${INCLUDE}`,
        "-c",
        "prog.c",
        "-o",
        "prog.o",
      ]);
      // gnu99 reports a typedef defined twice (C11 allows an identical redefinition).
      clang(dir, [
        "-target",
        "bpf",
        "-std=gnu99",
        "-Werror=typedef-redefinition",
        "-fsyntax-only",
        "-I.",
        "-x",
        "c",
        "vmlinux.h",
      ]);
      const { btf: objBtf } = readBpfObject(readFileSync(join(dir, "prog.o")));
      assert.ok(objBtf.find("task_struct", Kind.STRUCT), "task_struct reaches the object's BTF");
    });
  },
});

Deno.test({
  name: "renderCHeader: kernel struct/union sizes and member offsets equal BTF",
  ignore: noKernelBtf,
  fn() {
    const { btf, header } = kernelHeader();
    const { composites, members } = checkLayout(btf, header);
    console.log(`layout checked: ${composites} composites, ${members} member offsets`);
    assert.ok(composites > 1000, `only ${composites} composites`);
  },
});

Deno.test({
  name: "renderCHeader: kernel bitfields round-trip through clang",
  ignore: noKernelBtf,
  fn() {
    const { btf, header } = kernelHeader();
    // Every named composite with a bitfield somewhere inside (all would take clang ~17 s).
    const roots = btf.types.filter((t) =>
      (t.kind === Kind.STRUCT || t.kind === Kind.UNION) && t.name &&
      btf.flatMembers(t.id).some((m) => m.bitSize)
    ).map((t) => t.id);
    const { composites, bitfields } = checkRoundTrip(btf, header, roots);
    console.log(
      `round trip: ${roots.length} roots, ${composites} composites, ${bitfields} bitfields`,
    );
    assert.ok(roots.length > 100 && bitfields > 1000, `${roots.length} roots, ${bitfields}`);
  },
});

const TRICKY = `
struct bits { unsigned int x: 3; unsigned int y: 5; int z: 20; unsigned long long w: 40; char c; };
struct pk { char a; int b; short c; } __attribute__((packed));
struct nest { int kind; union { int i; struct { short lo, hi; }; long l; }; struct { char tag; } named; };
struct ops { int (*open)(struct ops *self, const char *path); void (*close)(void); };
struct b;
struct a { struct b *b; };
struct b { struct a a; };
typedef struct { int x; int y; } point_t;
typedef union { int i; float f; } num_t;
typedef int (*handler_t)(int);
struct table { handler_t handlers[4]; void (*cbs[2])(int, long); };
struct flex { int n; char data[]; };
struct cl { int a; } __attribute__((aligned(64)));
struct holder { char c; struct cl cl; const volatile int cv; int *const cp; char (*pa)[8]; };
struct gap { char a; int b __attribute__((aligned(16))); };
struct bitgap { int a: 3; int: 0; int b: 2; };
struct withanon { enum { AN_ONE, AN_TWO = 7 } kind; };
enum __attribute__((packed)) tiny { T0, T1 };
struct withtiny { enum tiny t; char c; };
struct fwdonly;
typedef void fnproto_t(int, ...);
struct usesfwd { struct fwdonly *p; fnproto_t *f; float f1; double d; };
struct bits g_bits; struct pk g_pk; struct nest g_nest; struct ops g_ops; struct b g_b;
point_t g_point; num_t g_num; struct table g_table; struct flex g_flex; struct holder g_holder;
struct gap g_gap; struct bitgap g_bitgap; struct withanon g_anon; struct withtiny g_tiny;
struct usesfwd g_usesfwd;
`;

Deno.test("renderCHeader: tricky C types render exactly and keep their layout", () => {
  const header = withTempDir((dir) => {
    writeFileSync(join(dir, "tricky.c"), TRICKY);
    clang(dir, ["-g", "-O2", "-target", "bpf", "-c", "tricky.c", "-o", "tricky.o"]);
    return renderCHeader(readBpfObject(readFileSync(join(dir, "tricky.o"))).btf);
  });
  const expect = (text: string) => assert.ok(header.includes(text), `missing:\n${text}`);
  expect("struct bits {\n\tunsigned int x: 3;\n\tunsigned int y: 5;\n\tint z: 20;\n");
  expect("\tunsigned long long w: 40;\n\tchar c;\n};");
  expect("struct pk {\n\tchar a;\n\tint b;\n\tshort c;\n} __attribute__((packed));");
  expect(
    "\tunion {\n\t\tint i;\n\t\tstruct {\n\t\t\tshort lo;\n\t\t\tshort hi;\n\t\t};\n\t\tlong l;\n\t};",
  );
  expect("\tstruct {\n\t\tchar tag;\n\t} named;");
  expect("struct ops {\n\tint (*open)(struct ops *, const char *);\n\tvoid (*close)(void);\n};");
  expect("typedef struct {\n\tint x;\n\tint y;\n} point_t;");
  expect("typedef union {\n\tint i;\n\tfloat f;\n} num_t;");
  expect("typedef int (*handler_t)(int);");
  expect("\thandler_t handlers[4];\n\tvoid (*cbs[2])(int, long);");
  expect("\tchar data[0];");
  expect("struct cl {\n\tint a;\n} __attribute__((aligned(64)));");
  expect("\tconst volatile int cv;\n\tint *const cp;\n\tchar (*pa)[8];");
  expect(
    "struct gap {\n\tchar a;\n\tlong: 56;\n\tlong: 64;\n\tint b;\n} __attribute__((aligned(16)));",
  );
  expect("\tint a: 3;\n\tint: 29;\n\tint b: 2;");
  expect("\tenum {\n\t\tAN_ONE = 0,\n\t\tAN_TWO = 7,\n\t} kind;");
  expect("enum tiny {\n\tT0 = 0,\n\tT1 = 1,\n} __attribute__((mode(QI)));");
  expect("typedef void fnproto_t(int, ...);");
  expect("\tstruct fwdonly *p;\n\tfnproto_t *f;\n\tfloat f1;\n\tdouble d;");
  // The pointer cycle: b is declared, a defined, then b defined by value around a.
  const fwdB = header.indexOf("\nstruct b;\n");
  const defA = header.indexOf("\nstruct a {\n");
  const defB = header.indexOf("\nstruct b {\n\tstruct a a;\n};");
  assert.ok(fwdB >= 0 && fwdB < defA && defA < defB, "struct b; < struct a {} < struct b {}");
  assert.ok(header.indexOf("\nstruct fwdonly;\n") >= 0);
  assert.ok(!header.includes("g_bits"), "variables are not emitted");

  const btf = withTempDir((dir) => {
    writeFileSync(join(dir, "tricky.c"), TRICKY);
    clang(dir, ["-g", "-target", "bpf", "-c", "tricky.c", "-o", "tricky.o"]);
    return readBpfObject(readFileSync(join(dir, "tricky.o"))).btf;
  });
  const rendered = renderCHeader(btf);
  const { composites } = checkLayout(btf, rendered);
  assert.equal(composites, 17);
  const named = btf.types.filter((t) =>
    (t.kind === Kind.STRUCT || t.kind === Kind.UNION) && t.name
  );
  const trip = checkRoundTrip(btf, rendered, named.map((t) => t.id));
  assert.equal(trip.composites, named.length);
  assert.equal(trip.bitfields, 6);
});

/** Builds a `Btf` straight from type records (ids are positions, 0 is void). */
type WithoutId<T> = T extends unknown ? Omit<T, "id"> : never;
function handBtf(types: WithoutId<BtfType>[]): Btf {
  const all = [{ kind: Kind.VOID, name: "" }, ...types].map((t, id) => ({ ...t, id }) as BtfType);
  return new Btf(all, new Uint8Array(1));
}

Deno.test("renderCHeader: enum64, renamed clashes, tags and skipped kinds", () => {
  const btf = handBtf([
    /* 1 */ {
      kind: Kind.INT,
      name: "int",
      size: 4,
      bits: 32,
      offset: 0,
      signed: true,
      char: false,
      bool: false,
    },
    /* 2 */ {
      kind: Kind.ENUM64,
      name: "big",
      size: 8,
      signed: false,
      values: [{ name: "B1", value: 1 }, { name: "B2", value: 0xffffffffffffffffn }, {
        name: "B3",
        value: 2 ** 32,
      }],
    },
    /* 3 */ {
      kind: Kind.ENUM64,
      name: "sbig",
      size: 8,
      signed: true,
      values: [{ name: "S1", value: -5000000000 }, { name: "S2", value: -(2n ** 63n) }, {
        name: "S3",
        value: -2,
      }],
    },
    /* 4 */ {
      kind: Kind.ENUM64,
      name: "wide",
      size: 8,
      signed: false,
      values: [{ name: "W1", value: 3 }],
    },
    /* 5 */ {
      kind: Kind.STRUCT,
      name: "dup",
      size: 4,
      members: [{ name: "a", type: 1, bitOffset: 0, bitSize: 0 }],
    },
    /* 6 */ {
      kind: Kind.STRUCT,
      name: "dup",
      size: 8,
      members: [{ name: "a", type: 1, bitOffset: 0, bitSize: 0 }, {
        name: "b",
        type: 1,
        bitOffset: 32,
        bitSize: 0,
      }],
    },
    /* 7 */ { kind: Kind.FWD, name: "dup", union: false },
    /* 8 */ { kind: Kind.TYPEDEF, name: "dup_t", type: 5 },
    /* 9 */ { kind: Kind.TYPEDEF, name: "dup_t", type: 6 },
    /* 10 */ {
      kind: Kind.ENUM,
      name: "colors",
      size: 4,
      signed: false,
      values: [{ name: "RED", value: 0 }],
    },
    /* 11 */ {
      kind: Kind.ENUM,
      name: "paints",
      size: 4,
      signed: true,
      values: [{ name: "RED", value: -1 }],
    },
    /* 12 */ { kind: Kind.TYPE_TAG, name: "user", type: 1 },
    /* 13 */ { kind: Kind.PTR, name: "", type: 12 },
    /* 14 */ {
      kind: Kind.STRUCT,
      name: "tagged",
      size: 24,
      members: [
        { name: "p", type: 13, bitOffset: 0, bitSize: 0 },
        { name: "d", type: 6, bitOffset: 64, bitSize: 0 },
        { name: "e", type: 32, bitOffset: 128, bitSize: 0 },
      ],
    },
    /* 15 */ { kind: Kind.FUNC_PROTO, name: "", type: 1, params: [] },
    /* 16 */ { kind: Kind.FUNC, name: "some_func", type: 15, linkage: 1 },
    /* 17 */ { kind: Kind.VAR, name: "some_var", type: 1, linkage: 1 },
    /* 18 */ {
      kind: Kind.DATASEC,
      name: ".data",
      size: 4,
      vars: [{ type: 17, offset: 0, size: 4 }],
    },
    /* 19 */ { kind: Kind.DECL_TAG, name: "some_tag", type: 14, componentIdx: -1 },
    /* 20 */ {
      kind: Kind.ENUM,
      name: "format_state",
      size: 4,
      signed: false,
      values: [{ name: "FS", value: 1 }],
    },
    /* 21 */ {
      kind: Kind.STRUCT,
      name: "format_state",
      size: 4,
      members: [{ name: "x", type: 1, bitOffset: 0, bitSize: 0 }],
    },
    /* 22 */ { kind: Kind.PTR, name: "", type: 0 },
    /* 23 */ { kind: Kind.TYPEDEF, name: "__builtin_va_list", type: 22 },
    /* 24 */ { kind: Kind.TYPEDEF, name: "va_list", type: 23 },
    /* 25 */ { kind: Kind.FLOAT, name: "double", size: 8 },
    /* 26 */ {
      kind: Kind.INT,
      name: "ssizetype",
      size: 8,
      bits: 64,
      offset: 0,
      signed: true,
      char: false,
      bool: false,
    },
    /* 27 */ {
      kind: Kind.UNION,
      name: "roomy",
      size: 24,
      members: [{ name: "v", type: 25, bitOffset: 0, bitSize: 0 }, {
        name: "s",
        type: 26,
        bitOffset: 0,
        bitSize: 0,
      }],
    },
    /* 28 */ { kind: Kind.TYPEDEF, name: "e_t", type: 29 },
    /* 29 */ {
      kind: Kind.ENUM,
      name: "",
      size: 4,
      signed: false,
      values: [{ name: "E_ONE", value: 1 }],
    },
    /* 30 */ {
      kind: Kind.STRUCT,
      name: "two_e",
      size: 8,
      members: [{ name: "x", type: 29, bitOffset: 0, bitSize: 0 }, {
        name: "y",
        type: 29,
        bitOffset: 32,
        bitSize: 0,
      }],
    },
    /* 31 */ {
      kind: Kind.ENUM,
      name: "",
      size: 4,
      signed: false,
      values: [{ name: "LONE", value: 9 }],
    },
    /* 32 */ { kind: Kind.PTR, name: "", type: 7 },
  ]);
  const header = renderCHeader(btf, { guard: "__HAND_H__", preserveAccessIndex: false });
  const expect = (text: string) =>
    assert.ok(header.includes(text), `missing:\n${text}\nin:\n${header}`);
  expect("#ifndef __HAND_H__\n#define __HAND_H__\n");
  assert.ok(!header.includes("preserve_access_index"));
  expect("enum big {\n\tB1 = 1,\n\tB2 = 18446744073709551615ULL,\n\tB3 = 4294967296ULL,\n};");
  expect(
    "enum sbig {\n\tS1 = -5000000000LL,\n\tS2 = (-9223372036854775807LL - 1),\n\tS3 = -2,\n};",
  );
  expect("enum wide {\n\tW1 = 3,\n} __attribute__((mode(DI)));");
  expect("struct dup {\n\tint a;\n};");
  expect("struct dup___2 {\n\tint a;\n\tint b;\n};");
  expect("typedef struct dup dup_t;");
  expect("typedef struct dup___2 dup_t___2;");
  expect("\tRED = 0,");
  expect("\tRED___2 = -1,");
  expect("struct tagged {\n\tint *p;\n\tstruct dup___2 d;\n\tstruct dup *e;\n};");
  expect("struct format_state___2 {\n\tint x;\n};");
  expect("typedef __builtin_va_list va_list;");
  expect(
    "union roomy {\n\tdouble v;\n\tlong long s;\n\tstruct {\n\t\tlong: 64;\n\t\tlong: 64;\n\t\tlong: 64;\n\t};\n};",
  );
  // An anonymous enum is spelled out once; later uses fall back to its integer type.
  expect("typedef enum {\n\tE_ONE = 1,\n} e_t;");
  expect("struct two_e {\n\tunsigned int x;\n\tunsigned int y;\n};");
  expect("enum {\n\tLONE = 9,\n};");
  for (const skipped of ["some_func", "some_var", ".data", "some_tag", "typedef void *__builtin"]) {
    assert.ok(!header.includes(skipped), `${skipped} is not emitted`);
  }
  assert.equal(header.match(/^struct dup \{/gm)?.length, 1);

  const { composites, members } = checkLayout(btf, header);
  assert.equal(composites, 6);
  assert.equal(members, 11);
});

Deno.test("renderCHeader refuses a gigabyte struct instead of writing its padding forever", () => {
  // Found by tools/fuzz.ts: a corrupt size made the padding loop run for minutes.
  const types: BtfType[] = [
    { id: 0, kind: Kind.VOID, name: "" },
    { id: 1, kind: Kind.STRUCT, name: "huge", size: 1_283_413_432, members: [] },
  ];
  assert.throws(
    () => renderCHeader(new Btf(types, new Uint8Array(1))),
    /^BtfError: type id 1: a 1283413432-byte struct is too large to render$/,
  );
});
