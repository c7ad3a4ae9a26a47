import assert from "node:assert/strict";
import { compileBpf } from "../../tests/support/clang.ts";
import { readBpfObject } from "../btf/mod.ts";
import {
  findVariable,
  LoaderError,
  programFamily,
  TcExtrasSchema,
  verifierVerdict,
  writeVariable,
  XdpExtrasSchema,
} from "./mod.ts";

Deno.test("verifierVerdict picks the line before the verifier's statistics", () => {
  const log = [
    "prog 'p': BPF program load failed: Permission denied",
    "prog 'p': -- BEGIN PROG LOAD LOG --",
    "0: R1=ctx() R10=fp0",
    "3: (61) r0 = *(u32 *)(r0 +0)",
    "R0 invalid mem access 'scalar'",
    "processed 4 insns (limit 1000000) max_states_per_insn 0 total_states 0",
    "-- END PROG LOAD LOG --",
    "prog 'p': failed to load: -13",
  ];
  assert.equal(verifierVerdict(log), "R0 invalid mem access 'scalar'");
  assert.equal(
    verifierVerdict(["prog 'p': -- BEGIN PROG LOAD LOG --", "oops", "-- END PROG LOAD LOG --"]),
    "oops",
  );
  assert.equal(verifierVerdict(["no log here"]), undefined);
});

Deno.test("tc and XDP extras take upstream's defaults and name bad fields", () => {
  const base = { name: "p", attach: "tc", link: true };
  assert.deepEqual(TcExtrasSchema.parse(base).tchook, {
    ifindex: 1,
    attach_point: "BPF_TC_INGRESS",
  });
  assert.deepEqual(TcExtrasSchema.parse(base).tcopts, { handle: 1, priority: 1 });
  assert.equal(
    TcExtrasSchema.parse({ ...base, tchook: { attach_point: "BPF_TC_EGRESS" } }).tchook.ifindex,
    1,
  );
  assert.equal(
    TcExtrasSchema.safeParse({ ...base, tchook: { attach_point: "SIDEWAYS" } }).success,
    false,
  );
  const x = XdpExtrasSchema.parse({ ...base, attach: "xdp" });
  assert.deepEqual([x.ifindex, x.flags, x.xdpopts.old_prog_fd], [1, 0, 0]);
});

Deno.test("data-section variables: offsets from the fixed-up BTF, sizes checked", () => {
  const object = compileBpf(`
#define SEC(n) __attribute__((section(n), used))
const volatile unsigned char a = 1;
const volatile unsigned long long b = 2;
const volatile char name[8] = "abc";
SEC("tp/x/y") int h(void *ctx) { return a + b + name[0]; }
char LICENSE[] SEC("license") = "GPL";
`);
  const { btf } = readBpfObject(object);
  const b = findVariable(btf, ".rodata", "b");
  assert.deepEqual([b.offset, b.size, b.array], [8, 8, false]);
  const name = findVariable(btf, ".rodata", "name");
  assert.equal(name.array, true);
  const image = new Uint8Array(24);
  writeVariable(image, b, new Uint8Array(8).fill(5));
  assert.deepEqual([...image.subarray(8, 16)], Array(8).fill(5));
  writeVariable(image, name, new Uint8Array([0x68, 0x69, 0]));
  assert.deepEqual([...image.subarray(name.offset, name.offset + 3)], [0x68, 0x69, 0]);
  assert.throws(() => writeVariable(image, b, new Uint8Array(4)), LoaderError);
  assert.throws(() => writeVariable(image, name, new Uint8Array(9)), /takes at most 8/);
  assert.throws(() => findVariable(btf, ".bss", "b"), /no data section '\.bss'/);
  assert.throws(() => findVariable(btf, ".rodata", "zz"), /no variable 'zz'/);
});

Deno.test("programFamily names the optional kernel facility a section needs", () => {
  const cases: [string, string | undefined][] = [
    ["kprobe/do_unlinkat", "kprobe"],
    ["kretprobe/__x64_sys_unlinkat", "kprobe"],
    ["ksyscall/unlinkat", "kprobe"],
    ["kprobe.multi/vfs_*", "kprobe"],
    ["fentry/do_unlinkat", "tracing"],
    ["fexit/do_unlinkat", "tracing"],
    ["fentry.s/bpf_fentry_test1", "tracing"],
    ["lsm/path_mkdir", "lsm"],
    ["lsm.s/bprm_check_security", "lsm"],
    ["tp/sched/sched_process_exec", undefined],
    ["uprobe//bin/bash:readline", undefined],
    ["kprobes_are_not_a_section", undefined],
  ];
  for (const [section, family] of cases) assert.equal(programFamily(section), family, section);
});
