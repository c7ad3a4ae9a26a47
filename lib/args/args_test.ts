import assert from "node:assert/strict";
import { readBpfObject } from "../btf/mod.ts";
import { parseMeta } from "../package/mod.ts";
import { compileBpf } from "../../tests/support/clang.ts";
import {
  ArgError,
  formatProgramHelp,
  formatProgramVersion,
  parseProgramArgs,
  programFlags,
  variableImages,
} from "./mod.ts";

const SOURCE = `
typedef unsigned int uid_t;
typedef unsigned int __u32;
enum mode { MODE_OFF = 0, MODE_ON = 1, MODE_AUTO = 7 };
const volatile signed char i8 = 0;
const volatile unsigned char u8 = 0;
const volatile short i16 = 0;
const volatile unsigned short u16 = 0;
const volatile int i32 = 0;
const volatile __u32 u32 = 0;
const volatile uid_t uid = 0;
const volatile long long i64 = 0;
const volatile unsigned long long u64 = 0;
const volatile char ch = 0;
const volatile _Bool flag = 0;
const volatile enum mode mode = MODE_OFF;
const volatile float ratio = 0;
const volatile double scale = 0;
const volatile char comm[8] = "init";
const volatile struct { int a; } opaque = {};
long counter;
__attribute__((section("tp/x"), used)) int prog(void *c) {
  return 0; /* globals are emitted even when unused */
}
`;

const { btf } = readBpfObject(compileBpf(SOURCE));
const names = [
  "i8",
  "u8",
  "i16",
  "u16",
  "i32",
  "u32",
  "uid",
  "i64",
  "u64",
  "ch",
  "flag",
  "mode",
  "ratio",
  "scale",
  "comm",
  "opaque",
];
const meta = parseMeta({
  bpf_skel: {
    obj_name: "args_bpf",
    data_sections: [
      {
        name: ".rodata",
        variables: names.map((n) => ({ name: n, type: "?" })).concat([
          { name: "__eunomia_dummy_x_ptr", type: "struct x *" },
        ]),
      },
      { name: ".bss", variables: [{ name: "counter", type: "long" }] },
    ],
    maps: [],
    progs: [],
  },
});
const flags = programFlags(meta, btf);

function encode(argv: string[]): Map<string, number[]> {
  const parsed = parseProgramArgs(flags, argv);
  return new Map(variableImages(flags, parsed.values, btf).map((i) => [i.name, [...i.bytes]]));
}

function fails(argv: string[], message: string) {
  assert.throws(() => encode(argv), (e) => e instanceof ArgError && e.message === message, message);
}

Deno.test("programFlags: one flag per variable, typed from BTF, dummies skipped", () => {
  assert.deepEqual(flags.map((f) => [f.long, f.type, f.section, f.switch]), [
    ["i8", "signed char", ".rodata", false],
    ["u8", "unsigned char", ".rodata", false],
    ["i16", "short", ".rodata", false],
    ["u16", "unsigned short", ".rodata", false],
    ["i32", "int", ".rodata", false],
    ["u32", "__u32", ".rodata", false],
    ["uid", "uid_t", ".rodata", false],
    ["i64", "long long", ".rodata", false],
    ["u64", "unsigned long long", ".rodata", false],
    ["ch", "char", ".rodata", false],
    ["flag", "_Bool", ".rodata", true],
    ["mode", "enum mode", ".rodata", false],
    ["ratio", "float", ".rodata", false],
    ["scale", "double", ".rodata", false],
    ["comm", "char[8]", ".rodata", false],
    ["opaque", "struct {...}", ".rodata", false],
    ["counter", "long", ".bss", false],
  ]);
});

Deno.test("every integer width takes its full signed or unsigned range", () => {
  const v = encode([
    "--i8=-128",
    "--u8",
    "255",
    "--i16=-32768",
    "--u16=65535",
    "--i32=-2147483648",
    "--u32=0xffffffff",
    "--uid=4294967295",
    "--i64=-9223372036854775808",
    "--u64=18446744073709551615",
    "--counter=-1",
  ]);
  assert.deepEqual(v.get("i8"), [0x80]);
  assert.deepEqual(v.get("u8"), [0xff]);
  assert.deepEqual(v.get("i16"), [0x00, 0x80]);
  assert.deepEqual(v.get("u16"), [0xff, 0xff]);
  assert.deepEqual(v.get("i32"), [0, 0, 0, 0x80]);
  assert.deepEqual(v.get("u32"), [0xff, 0xff, 0xff, 0xff]);
  assert.deepEqual(v.get("uid"), [0xff, 0xff, 0xff, 0xff]);
  assert.deepEqual(v.get("i64"), [0, 0, 0, 0, 0, 0, 0, 0x80]);
  assert.deepEqual(v.get("u64"), new Array(8).fill(0xff));
  assert.deepEqual(v.get("counter"), new Array(8).fill(0xff));
  assert.deepEqual(encode(["--u32", "0x1234_5678"]).get("u32"), [0x78, 0x56, 0x34, 0x12]);
});

Deno.test("out-of-range and malformed values name the flag and the accepted range", () => {
  fails(["--u8=256"], "--u8: 256 is out of range for unsigned char (0..255)");
  fails(["--i8=128"], "--i8: 128 is out of range for signed char (-128..127)");
  fails(["--u32=-1"], "--u32: -1 is out of range for __u32 (0..4294967295)");
  fails(
    ["--u64=18446744073709551616"],
    "--u64: 18446744073709551616 is out of range for unsigned long long (0..18446744073709551615)",
  );
  fails(["--i32", "12abc"], "--i32: '12abc' is not an integer (int)");
  fails(["--ratio=fast"], "--ratio: 'fast' is not a number (float)");
  fails(
    ["--mode=MODE_NEVER"],
    "--mode: 'MODE_NEVER' is not a value of enum mode (MODE_OFF, MODE_ON, MODE_AUTO, or a number)",
  );
  fails(["--comm=abcdefgh"], "--comm: 'abcdefgh' needs 9 bytes with its NUL; char[8] holds 8");
  fails(
    ["--opaque=1"],
    "--opaque: a variable of type struct {...} cannot be set from the command line",
  );
  fails(["--nope=1"], "unknown program flag '--nope'");
  fails(["-x"], "unknown program flag '-x'");
  fails(["--i32"], "--i32 needs a value (int)");
  fails(["stray"], "unexpected argument 'stray'");
  fails(["--flag=1"], "--flag is a switch and takes no value");
});

Deno.test("char, bool, enum, float, double and char arrays encode as their BTF types", () => {
  const v = encode([
    "--ch=A",
    "--flag",
    "--mode=MODE_AUTO",
    "--ratio=1.5",
    "--scale=-2.25",
    "--comm=bash",
  ]);
  assert.deepEqual(v.get("ch"), [65]);
  assert.deepEqual(v.get("flag"), [1]);
  assert.deepEqual(v.get("mode"), [7, 0, 0, 0]);
  // Little-endian (upstream writes floats big-endian, a bug we do not copy).
  assert.deepEqual(v.get("ratio"), [0, 0, 0xc0, 0x3f]);
  assert.deepEqual(v.get("scale"), [0, 0, 0, 0, 0, 0, 0x02, 0xc0]);
  assert.deepEqual(v.get("comm"), [0x62, 0x61, 0x73, 0x68, 0, 0, 0, 0]);
  assert.deepEqual(encode(["--mode=1"]).get("mode"), [1, 0, 0, 0]);
  assert.deepEqual(encode(["--disable-flag"]).get("flag"), [0]);
  assert.deepEqual(encode(["--ch", "7"]).get("ch"), [7]);
  // Unset variables keep the object's initial value: nothing is written.
  assert.deepEqual([...encode([]).keys()], []);
});

Deno.test("short names, defaults, bool switch names and help text", () => {
  const ometa = parseMeta({
    bpf_skel: {
      obj_name: "opensnoop_bpf",
      doc: { description: "Trace open family syscalls." },
      data_sections: [{
        name: ".rodata",
        variables: [
          {
            name: "i32",
            type: "int",
            description: "Process ID to trace",
            cmdarg: { short: "p", long: "pid", default: 0 },
          },
          {
            name: "flag",
            type: "bool",
            description: "trace only failed events",
            cmdarg: { default: false, long: "failed", short: "f" },
          },
          { name: "u8", type: "unsigned char" },
        ],
      }],
      maps: [],
      progs: [],
    },
  });
  const f = programFlags(ometa, btf);
  assert.deepEqual(f.map((x) => [x.long, x.short]), [["pid", "p"], ["failed", undefined], [
    "u8",
    undefined,
  ]]);
  const p = parseProgramArgs(f, ["-p", "42", "--enable-failed", "--verbose"]);
  assert.deepEqual([...p.values], [["i32", "42"], ["flag", true]]);
  assert.equal(p.verbose, true);
  assert.deepEqual([...parseProgramArgs(f, ["-p7"]).values], [["i32", "7"], ["flag", false]]);
  assert.equal(
    formatProgramHelp(ometa, f),
    `Trace open family syscalls.

Usage: ecli run <package> [OPTIONS]

Options:
  -p, --pid <I32>      Process ID to trace [default: 0]
      --enable-failed  trace only failed events
      --u8 <U8>        Set value of \`unsigned char\` variable u8
      --verbose        Whether to show libbpf debug information
  -h, --help           Print help
  -V, --version        Print version

ecli run options (before or after the package; '--' ends them):
      --json              print one JSON object per event
      --verbose           show libbpf debug output and the verifier log
      --duration <S>      stop after S seconds
      --count <N>         stop after N events
      --handler <FILE>    hand events to FILE's default export
  -e, --eval <CODE>       inline handler (e, ctx, emit, stop, args, maps in scope)

Built with eunomia-bpf framework.
See https://github.com/eunomia-bpf/eunomia-bpf for more information.`,
  );
  assert.equal(formatProgramVersion(ometa), "opensnoop_bpf 0.1.0");
  assert.ok(parseProgramArgs(f, ["--help"]).help);
});
