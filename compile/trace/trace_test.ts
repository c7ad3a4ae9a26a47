import assert from "node:assert/strict";
import { kernelFilter } from "./filter.ts";
import { parseFormat } from "./tracefs.ts";
import type { IntType } from "./fields.ts";

const FIELDS = {
  ints: new Map<string, IntType>([["pid", "u32"], ["ret", "s64"], ["dfd", "s32"]]),
  all: ["pid", "ret", "dfd", "comm", "filename"],
};

Deno.test("kernelFilter compiles comparisons of integer fields with integers", () => {
  assert.equal(kernelFilter("e.pid == 42 && e.ret < 0", FIELDS), "e->pid == 42ULL && e->ret < 0LL");
  assert.equal(
    kernelFilter("!(e.pid === 0x10 || 5 >= e.dfd) && e.ret != -1n", FIELDS),
    "!((e->pid == 16ULL || 5LL >= e->dfd)) && e->ret != -1LL",
  );
  assert.equal(kernelFilter("e.ret<e.dfd", FIELDS), "e->ret < e->dfd");
});

Deno.test("kernelFilter leaves everything else to TypeScript", () => {
  for (
    const expr of [
      'e.comm == "sh"',
      "e.pid == 1 && e.filename.length > 3",
      "e.pid + 1 == 2",
      "e.pid == -1", // unsigned field, negative literal
      "e.dfd == 4294967296", // out of s32 range
      "e.pid == e.ret", // mixed signedness
      "e.pid",
      "(e.pid == 1",
      "e.pid == 1 || true",
    ]
  ) assert.equal(kernelFilter(expr, FIELDS), undefined, expr);
});

Deno.test("kernelFilter names an unknown field", () => {
  assert.throws(
    () => kernelFilter("e.pidd == 1", FIELDS),
    { message: "--filter: unknown field 'pidd' (the events have: pid, ret, dfd, comm, filename)" },
  );
});

Deno.test("parseFormat types fields by their C type, strings by char * and __data_loc", () => {
  const fields = parseFormat(`name: x
format:
	field:unsigned short common_type;	offset:0;	size:2;	signed:0;
	field:int __syscall_nr;	offset:8;	size:4;	signed:1;
	field:int dfd;	offset:16;	size:8;	signed:0;
	field:const char * filename;	offset:24;	size:8;	signed:0;
	field:umode_t mode;	offset:40;	size:8;	signed:0;
	field:__data_loc char[] name;	offset:48;	size:4;	signed:0;
	field:char comm[16];	offset:52;	size:16;	signed:0;
	field:pid_t pid;	offset:68;	size:4;	signed:1;
	field:struct foo * p;	offset:72;	size:8;	signed:0;
	field:u64 stack[4];	offset:80;	size:32;	signed:0;
`);
  assert.deepEqual(fields.map((f) => [f.name, f.value, f.source]), [
    ["syscall_nr", { kind: "int", type: "s32" }, { from: "record", offset: 8 }],
    ["dfd", { kind: "int", type: "s32" }, { from: "record", offset: 16 }],
    ["filename", { kind: "string" }, { from: "record", offset: 24 }],
    ["mode", { kind: "int", type: "u16" }, { from: "record", offset: 40 }],
    ["name", { kind: "string" }, { from: "data_loc", offset: 48 }],
    ["arg_comm", { kind: "chars", length: 16 }, { from: "record", offset: 52 }],
    ["arg_pid", { kind: "int", type: "s32" }, { from: "record", offset: 68 }],
    ["p", { kind: "int", type: "u64" }, { from: "record", offset: 72 }],
  ]);
});
