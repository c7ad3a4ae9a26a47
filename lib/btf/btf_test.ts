import assert from "node:assert/strict";
import { BtfBuilder } from "../../tests/support/btf_builder.ts";
import { compileBpf } from "../../tests/support/clang.ts";
import { parseElf } from "../elf/mod.ts";
import {
  BtfError,
  type CompositeType,
  type DatasecType,
  Kind,
  parseBtf,
  readBpfObject,
  typeName,
  VarLinkage,
} from "./mod.ts";

const ALL_KINDS = `
typedef unsigned int u32;
typedef unsigned long long u64;
enum color { RED, GREEN = 5, BLUE = -1 };
struct fwd_only;
union num { int i; float f; double d; };
struct bits { unsigned int a: 3; unsigned int b: 5; int c: 7; unsigned long long d; };
struct event {
  int pid;
  u32 tid;
  u64 ts;
  char comm[16];
  int grid[2][3];
  enum color color;
  union num n;
  struct { short x; short y; } point;
  struct fwd_only *opaque;
  void (*callback)(int, char *);
  const char *name;
  volatile int flag;
  struct bits bits;
};
#define __tag __attribute__((btf_decl_tag("user_tag")))
struct tagged { int field __tag; };
int * restrict rp;
int __attribute__((btf_type_tag("user"))) *tp;
struct event ev;
struct tagged tg;
const volatile u32 min_len = 4;
const volatile char flag_a = 1;
const volatile u64 big = 1;
static volatile int hidden_static = 2;
__attribute__((visibility("hidden"))) int hidden_global = 3;
int bss_zero;
float ratio = 1.5f;
int helper(int x) { return x + hidden_static; }
__attribute__((section("tp/a"), used)) int prog(void *ctx) { return helper(min_len) + flag_a + big; }
char LICENSE[] __attribute__((section("license"), used)) = "GPL";
`;

const obj = readBpfObject(compileBpf(ALL_KINDS));
const { btf } = obj;

function struct(name: string): CompositeType {
  const t = btf.find(name, Kind.STRUCT);
  assert.ok(t, `struct ${name} not in BTF`);
  return t;
}

function member(s: CompositeType, name: string) {
  const m = s.members.find((m) => m.name === name);
  assert.ok(m, `member ${name} not in ${s.name}`);
  return m;
}

Deno.test("parseBtf reads INT, PTR, ARRAY, STRUCT, UNION, ENUM, FWD, TYPEDEF and qualifiers", () => {
  const ev = struct("event");
  assert.equal(ev.size, 128);
  assert.deepEqual(ev.members.map((m) => m.name), [
    "pid",
    "tid",
    "ts",
    "comm",
    "grid",
    "color",
    "n",
    "point",
    "opaque",
    "callback",
    "name",
    "flag",
    "bits",
  ]);
  assert.deepEqual(ev.members.map((m) => m.bitOffset / 8), [
    0,
    4,
    8,
    16,
    32,
    56,
    64,
    72,
    80,
    88,
    96,
    104,
    112,
  ]);
  const pid = btf.type(member(ev, "pid").type);
  assert.equal(pid.kind, Kind.INT);
  assert.deepEqual(pid.kind === Kind.INT && [pid.size, pid.bits, pid.signed, pid.char], [
    4,
    32,
    true,
    false,
  ]);
  const tid = btf.type(member(ev, "tid").type);
  assert.equal(tid.kind, Kind.TYPEDEF);
  assert.equal(tid.name, "u32");
  const comm = btf.type(member(ev, "comm").type);
  assert.ok(comm.kind === Kind.ARRAY && comm.nelems === 16);
  const color = btf.resolve(member(ev, "color").type);
  assert.ok(color.kind === Kind.ENUM);
  // clang 14 predates the signedness flag: -1 is stored and read as its unsigned 32 bits.
  assert.equal(color.signed, false);
  assert.deepEqual(color.values, [
    { name: "RED", value: 0 },
    { name: "GREEN", value: 5 },
    { name: "BLUE", value: 0xffffffff },
  ]);
  assert.equal(btf.resolve(member(ev, "n").type).kind, Kind.UNION);
  const point = btf.type(member(ev, "point").type);
  assert.ok(point.kind === Kind.STRUCT && point.name === "" && point.size === 4);
  const opaque = btf.type(member(ev, "opaque").type);
  assert.ok(opaque.kind === Kind.PTR);
  const fwd = btf.type(opaque.type);
  assert.ok(fwd.kind === Kind.FWD && fwd.name === "fwd_only" && !fwd.union);
  const name = btf.type(member(ev, "name").type);
  assert.ok(name.kind === Kind.PTR && btf.type(name.type).kind === Kind.CONST);
  assert.equal(btf.type(member(ev, "flag").type).kind, Kind.VOLATILE);
  const cb = btf.type(member(ev, "callback").type);
  assert.ok(cb.kind === Kind.PTR);
  const proto = btf.type(cb.type);
  assert.ok(proto.kind === Kind.FUNC_PROTO && proto.params.length === 2 && proto.type === 0);
});

Deno.test("parseBtf reads bitfields with their bit offsets and sizes", () => {
  const bits = struct("bits");
  assert.deepEqual(
    bits.members.map((m) => [m.name, m.bitOffset, m.bitSize]),
    [["a", 0, 3], ["b", 3, 5], ["c", 8, 7], ["d", 64, 0]],
  );
  assert.equal(bits.size, 16);
});

Deno.test("parseBtf reads FUNC, FUNC_PROTO, VAR, DATASEC, FLOAT, DECL_TAG, TYPE_TAG, RESTRICT", () => {
  const helper = btf.find("helper", Kind.FUNC)!;
  assert.ok(helper);
  const proto = btf.type(helper.type);
  assert.ok(proto.kind === Kind.FUNC_PROTO);
  assert.equal(proto.params[0].name, "x");
  assert.equal(typeName(btf, proto.params[0].type), "int");
  const ratio = btf.find("ratio", Kind.VAR)!;
  assert.equal(ratio.linkage, VarLinkage.GLOBAL_ALLOCATED);
  const flt = btf.type(ratio.type);
  assert.ok(flt.kind === Kind.FLOAT && flt.size === 4 && flt.name === "float");
  const tag = btf.types.find((t) => t.kind === Kind.DECL_TAG);
  assert.ok(tag && tag.kind === Kind.DECL_TAG);
  assert.equal(tag.name, "user_tag");
  assert.equal(btf.type(tag.type).name, "tagged");
  assert.equal(tag.componentIdx, 0);
  const tp = btf.find("tp", Kind.VAR)!;
  const ptr = btf.type(tp.type);
  assert.ok(ptr.kind === Kind.PTR);
  const ttag = btf.type(ptr.type);
  assert.ok(ttag.kind === Kind.TYPE_TAG && ttag.name === "user");
  const rp = btf.find("rp", Kind.VAR)!;
  assert.equal(btf.type(rp.type).kind, Kind.RESTRICT);
  for (const sec of [".data", ".rodata", ".bss", "license"]) {
    assert.ok(btf.find(sec, Kind.DATASEC), `DATASEC ${sec}`);
  }
});

Deno.test("DATASEC fix-up takes sizes from ELF sections and offsets from symbols", () => {
  const elf = parseElf(compileBpf(ALL_KINDS));
  const raw = parseBtf(elf.sections.find((s) => s.name === ".BTF")!.data.slice());
  const rawRodata = raw.find(".rodata", Kind.DATASEC)!;
  // clang leaves the layout to libbpf…
  assert.equal(rawRodata.size, 0);
  // …and the fixed-up BTF matches the symbol table.
  const rodata = btf.find(".rodata", Kind.DATASEC)!;
  assert.equal(rodata.size, elf.sections.find((s) => s.name === ".rodata")!.size);
  const layout = (sec: DatasecType) =>
    sec.vars.map((v) => [btf.type(v.type).name, v.offset, v.size]);
  const sym = (n: string) => elf.symbols.find((s) => s.name === n)!.value;
  assert.deepEqual(
    layout(rodata),
    [
      ["min_len", sym("min_len"), 4],
      ["flag_a", sym("flag_a"), 1],
      ["big", sym("big"), 8],
    ].sort((a, b) => (a[1] as number) - (b[1] as number)),
  );
  const offsets = rodata.vars.map((v) => v.offset);
  assert.deepEqual(offsets, [...offsets].sort((a, b) => a - b));
  // A hidden global is static for libbpf (not part of the skeleton).
  assert.equal(btf.find("hidden_global", Kind.VAR)!.linkage, VarLinkage.STATIC);
  assert.equal(btf.find("hidden_static", Kind.VAR)!.linkage, VarLinkage.STATIC);
  assert.equal(btf.find("bss_zero", Kind.VAR)!.linkage, VarLinkage.GLOBAL_ALLOCATED);
});

Deno.test("sizeOf and alignOf resolve typedefs, arrays, unions and packed structs", () => {
  const packed = readBpfObject(compileBpf(`
    struct __attribute__((packed)) p { char c; int i; };
    struct q { char c; long l; };
    struct p gp; struct q gq;
  `)).btf;
  const p = packed.find("p", Kind.STRUCT)!;
  const q = packed.find("q", Kind.STRUCT)!;
  assert.deepEqual([packed.sizeOf(p.id), packed.alignOf(p.id)], [5, 1]);
  assert.deepEqual([packed.sizeOf(q.id), packed.alignOf(q.id)], [16, 8]);
  const ev = struct("event");
  assert.equal(btf.sizeOf(member(ev, "grid").type), 24);
  assert.equal(btf.alignOf(member(ev, "grid").type), 4);
  assert.equal(btf.sizeOf(member(ev, "n").type), 8);
  assert.equal(btf.sizeOf(member(ev, "tid").type), 4);
  assert.equal(btf.alignOf(ev.id), 8);
  assert.equal(btf.sizeOf(member(ev, "opaque").type), 8);
});

Deno.test("typeName renders C type names as upstream prints them", () => {
  const ev = struct("event");
  const names = Object.fromEntries(ev.members.map((m) => [m.name, typeName(btf, m.type)]));
  assert.deepEqual(names, {
    pid: "int",
    tid: "u32",
    ts: "u64",
    comm: "char[16]",
    grid: "int[2][3]",
    color: "enum color",
    n: "union num",
    point: "struct {...}",
    opaque: "struct fwd_only *",
    callback: "void (*)(int, char *)",
    name: "char *",
    flag: "int",
    bits: "struct bits",
  });
  const withMods = typeName(btf, member(ev, "name").type, { stripMods: false });
  assert.equal(withMods, "const char *");
  const vars = Object.fromEntries(
    btf.find(".rodata", Kind.DATASEC)!.vars.map((v) => {
      const t = btf.type(v.type);
      return [t.name, typeName(btf, t.kind === Kind.VAR ? t.type : 0)];
    }),
  );
  assert.deepEqual(vars, { min_len: "u32", flag_a: "char", big: "u64" });
  const arrOfPtr = readBpfObject(compileBpf(`
    int (*ptr_to_arr)[3]; char *arr_of_ptr[4]; unsigned long long ull; _Bool b;
  `)).btf;
  const v = (n: string) => typeName(arrOfPtr, arrOfPtr.find(n, Kind.VAR)!.type);
  assert.equal(v("ptr_to_arr"), "int (*)[3]");
  assert.equal(v("arr_of_ptr"), "char *[4]");
  assert.equal(v("ull"), "unsigned long long");
  assert.equal(v("b"), "_Bool");
});

Deno.test("parseBtf reads ENUM64 (signed and unsigned, beyond 2^53)", () => {
  const b = new BtfBuilder();
  const big = b.add("big", Kind.ENUM64, 2, 8, [
    b.str("SMALL"),
    5,
    0,
    b.str("HUGE"),
    0xffffffff,
    0xffffffff,
  ]);
  const sig = b.add("sig", Kind.ENUM64, 1, 8, [b.str("NEG"), 0xfffffffe, 0xffffffff], true);
  const btf64 = parseBtf(b.build());
  const e = btf64.type(big);
  assert.ok(e.kind === Kind.ENUM64 && !e.signed);
  assert.deepEqual(e.values, [
    { name: "SMALL", value: 5 },
    { name: "HUGE", value: 0xffffffffffffffffn },
  ]);
  const s = btf64.type(sig);
  assert.ok(s.kind === Kind.ENUM64 && s.signed);
  assert.deepEqual(s.values, [{ name: "NEG", value: -2 }]);
  assert.equal(typeName(btf64, big), "enum big");
  assert.equal(btf64.sizeOf(big), 8);
});

Deno.test("parseBtf rejects malformed BTF with the offending offset or id", () => {
  const b = new BtfBuilder();
  b.add("int", Kind.INT, 0, 4, [0x01000020]);
  b.add("", Kind.PTR, 0, 9);
  const dangling = b.build();
  const cases: [Uint8Array, RegExp][] = [
    [new Uint8Array(10), /^truncated BTF header \(10 bytes\)$/],
    [new Uint8Array(24), /^bad BTF magic 0x0$/],
    [dangling, /^type id 2 refers to missing type id 9$/],
    [dangling.slice(0, dangling.length - 8), /^truncated BTF: sections need/],
  ];
  const badKind = new BtfBuilder();
  badKind.add("x", 31, 0, 0);
  cases.push([badKind.build(), /^type id 1 has unknown kind 31$/]);
  const shortInt = new BtfBuilder();
  shortInt.add("int", Kind.INT, 0, 4, []);
  cases.push([shortInt.build(), /^type id 1 is truncated$/]);
  for (const [bytes, msg] of cases) {
    assert.throws(() => parseBtf(bytes), (e) => e instanceof BtfError && msg.test(e.message));
  }
  assert.throws(() => btf.type(1 << 20), /type id 1048576 is invalid/);
});

Deno.test("readBpfObject refuses an object without BTF", () => {
  const noBtf = compileBpf("int x = 1;", ["-g0"]);
  assert.throws(() => readBpfObject(noBtf), /no \.BTF section/);
});

Deno.test("parseBtf refuses type loops that no C type has (found by tools/fuzz.ts)", () => {
  const refused = (b: BtfBuilder, msg: string) =>
    assert.throws(() => parseBtf(b.build()), (e) => e instanceof BtfError && e.message === msg);
  const constLoop = new BtfBuilder();
  constLoop.add("", Kind.CONST, 0, 1);
  refused(constLoop, "type id 1 contains itself (a loop with no pointer)");
  const byValue = new BtfBuilder();
  byValue.add("node", Kind.STRUCT, 1, 8, [byValue.str("self"), 1, 0]);
  refused(byValue, "type id 1 contains itself (a loop with no pointer)");
  const ptrLoop = new BtfBuilder();
  ptrLoop.add("", Kind.PTR, 0, 1);
  refused(ptrLoop, "type id 1 refers to itself without a named struct or union in between");
  // The loop C does have: a pointer to a named struct inside it.
  const list = new BtfBuilder();
  list.add("node", Kind.STRUCT, 1, 8, [list.str("next"), 2, 0]);
  list.add("", Kind.PTR, 0, 1);
  assert.equal(parseBtf(list.build()).sizeOf(1), 8);
});
