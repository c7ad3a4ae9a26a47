import assert from "node:assert/strict";
import { readBpfObject } from "../lib/btf/mod.ts";
import { compileBpf } from "../tests/support/clang.ts";
import {
  buildSkeleton,
  internalMapIdent,
  internalMapName,
  objectNameFromFile,
  sanitizeIdentifier,
} from "./skeleton.ts";

const HEADERS = '#include "vmlinux.h"\n#include <bpf/bpf_helpers.h>\n';
const compile = (src: string) => compileBpf(src, [], { vmlinux: true });

Deno.test("object and internal map names follow libbpf/bpftool", () => {
  assert.equal(objectNameFromFile("/x/bootstrap.bpf.o"), "bootstrap_bpf");
  assert.equal(objectNameFromFile("kprobe-link.bpf.o"), "kprobe_link_bpf");
  assert.equal(objectNameFromFile("plain"), "plain");
  assert.equal(internalMapName("bootstrap_bpf", ".rodata"), "bootstra.rodata");
  assert.equal(internalMapName("bootstrap_bpf", ".bss"), "bootstra.bss");
  assert.equal(internalMapName("tc_bpf", ".rodata"), "tc_bpf.rodata");
  assert.equal(internalMapName("x_bpf", ".rodata.str1.1"), ".rodata.str1.1");
  assert.equal(internalMapName("x_bpf", ".data.custom"), ".data.custom");
  assert.equal(internalMapName("x_bpf", ".rodata.very_long_name"), ".rodata.very_lo");
  assert.equal(internalMapIdent("bootstra.rodata"), "rodata");
  assert.equal(internalMapIdent(".rodata.str1.1"), "rodata_str1_1");
  assert.equal(internalMapIdent(".data.custom"), "data_custom");
  assert.equal(internalMapIdent("rb"), undefined);
  assert.equal(sanitizeIdentifier("a-b.c d"), "a_b_c_d");
});

Deno.test("buildSkeleton lists maps, programs and data sections in libbpf order", () => {
  const obj = readBpfObject(compile(`${HEADERS}
struct { __uint(type, BPF_MAP_TYPE_HASH); __uint(max_entries, 4); __type(key, int); __type(value, int); } second SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_RINGBUF); __uint(max_entries, 4096); } first SEC(".maps");
const volatile int ro_knob = 1;
int data_counter = 5;
long bss_total;
static int helper(int x) { return x * 2; }
SEC("tp/sched/sched_switch") int on_switch(void *ctx) { return helper(ro_knob) + data_counter + bss_total; }
SEC("xdp") int on_xdp(void *ctx) { bpf_printk("len %d", 1); return 2; }
char LICENSE[] SEC("license") = "GPL";
`));
  const skel = buildSkeleton(obj, "order_bpf");
  assert.deepEqual(
    skel.maps,
    [
      { name: "second", ident: "second" },
      { name: "first", ident: "first" },
      { ident: "data", mmaped: true, name: "order_bp.data" },
      { ident: "rodata", mmaped: true, name: "order_bp.rodata" },
      { ident: "bss", mmaped: true, name: "order_bp.bss" },
    ].sort((a, b) => skelIndex(obj, a.name) - skelIndex(obj, b.name)),
  );
  assert.deepEqual(skel.progs, [
    { attach: "tp/sched/sched_switch", link: true, name: "on_switch" },
    { attach: "xdp", link: true, name: "on_xdp" },
  ]);
  assert.deepEqual(
    skel.data_sections.map((s) => [s.name, s.variables]),
    [
      [".data", [{ name: "data_counter", type: "int" }]],
      [".rodata", [{ name: "ro_knob", type: "int" }]],
      [".bss", [{ name: "bss_total", type: "long" }]],
    ].sort((a, b) => secIndex(obj, a[0] as string) - secIndex(obj, b[0] as string)),
  );
});

/** User maps by `.maps` offset, then internal maps by ELF section index. */
function skelIndex(obj: ReturnType<typeof readBpfObject>, name: string): number {
  const user = ["second", "first"].indexOf(name);
  if (user >= 0) return user;
  return 100 + secIndex(obj, "." + name.split(".").slice(1).join("."));
}

function secIndex(obj: ReturnType<typeof readBpfObject>, section: string): number {
  return obj.elf.sections.findIndex((s) => s.name === section);
}

Deno.test("a data section holding only static variables is neither mmaped nor listed", () => {
  const obj = readBpfObject(compile(`${HEADERS}
SEC("xdp") int xdp_pass(void *ctx) { bpf_printk("packet size is %d", 1); return 2; }
char LICENSE[] SEC("license") = "GPL";
`));
  const skel = buildSkeleton(obj, "xdp_bpf");
  assert.deepEqual(skel.maps, [{ ident: "rodata", name: "xdp_bpf.rodata" }]);
  assert.deepEqual(skel.data_sections, []);
});

Deno.test("string literals give a .rodata.str1.1 map; subprograms in .text are not programs", () => {
  const obj = readBpfObject(compile(`${HEADERS}
const volatile int pid_filter = 0;
__attribute__((noinline)) int sub(const char *s) { return s[0]; }
SEC("tp/syscalls/sys_enter_write") int handle_tp(void *ctx) {
  char buf[8];
  __builtin_memcpy(buf, "hello!!", 8);
  return sub(buf) + pid_filter + sub("another string literal");
}
char LICENSE[] SEC("license") = "GPL";
`));
  const skel = buildSkeleton(obj, "minimal_bpf");
  assert.deepEqual(skel.progs.map((p) => p.name), ["handle_tp"]);
  const str = skel.maps.find((m) => m.ident === "rodata_str1_1");
  assert.deepEqual(str, { ident: "rodata_str1_1", name: ".rodata.str1.1" });
  assert.deepEqual(skel.maps.find((m) => m.ident === "rodata"), {
    ident: "rodata",
    mmaped: true,
    name: "minimal_.rodata",
  });
});
