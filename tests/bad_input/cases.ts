/**
 * The bad-input table: each case is a file or a command line, and the exact last line of
 * stderr and exit code `ecli` gives for it. The README's "Troubleshooting" section lists the
 * same cases. Paths in messages are written `$DIR` (the case directory) and `$PKG` (a good
 * procsnoop package).
 * @module
 */
import { Buffer } from "node:buffer";
import { deflateSync } from "node:zlib";

/** One bad input. */
export interface BadInput {
  /** Area: package, flag, handler, source, environment. */
  area: "package" | "flag" | "handler" | "source" | "environment";
  /** What is wrong, as the README says it. */
  what: string;
  /**
   * Files to write into `$DIR` first: name → text, or a function of the good package document.
   * Names with `.private.` are made readable by root only.
   */
  files?: Record<string, string | ((good: Record<string, unknown>) => unknown)>;
  /** `ecli` arguments. */
  argv: string[];
  /** A command the `ecli` command line runs under (unshare, setpriv, prlimit, env). */
  wrap?: string[];
  /** The exact last stderr line. */
  message: string;
  /** Exit code (default 1). */
  code?: number;
}

/** A valid zlib stream of 25 bytes that are not an ELF object. */
const NOT_ELF = Buffer.from(deflateSync(new TextEncoder().encode("plain text, not an object")))
  .toString("base64");

/** The cases. */
export const BAD_INPUTS: BadInput[] = [
  // ---- packages ----------------------------------------------------------------------------
  {
    area: "package",
    what: "the package file does not exist",
    argv: ["run", "$DIR/missing.json"],
    message: "ecli: error: $DIR/missing.json: no such file",
  },
  {
    area: "package",
    what: "the package path is a directory",
    argv: ["run", "$DIR"],
    message: "ecli: error: $DIR: is a directory",
  },
  {
    area: "package",
    what: "the file is not JSON",
    files: { "a.json": "{nope" },
    argv: ["run", "$DIR/a.json"],
    message: "ecli: error: $DIR/a.json: not valid JSON: JSON Parse error: Expected '}'",
  },
  {
    area: "package",
    what: "the file is not YAML",
    files: { "a.yaml": "meta: [unclosed" },
    argv: ["run", "$DIR/a.yaml"],
    message:
      "ecli: error: $DIR/a.yaml: not valid YAML: Flow sequence in block collection must be sufficiently indented and end with a ] at line 1, column 16",
  },
  {
    area: "package",
    what: "an empty file",
    files: { "empty.json": "" },
    argv: ["run", "$DIR/empty.json"],
    message: "ecli: error: $DIR/empty.json: not valid JSON: JSON Parse error: Unexpected EOF",
  },
  {
    area: "package",
    what: "bpf_object is not base64",
    files: { "b.json": (p) => ({ ...p, bpf_object: "!!!!" }) },
    argv: ["run", "$DIR/b.json"],
    message: "ecli: error: $DIR/b.json: bpf_object: malformed base64",
  },
  {
    area: "package",
    what: "bpf_object is not a zlib stream",
    files: { "c.json": (p) => ({ ...p, bpf_object: "cGxhaW4gdGV4dA==" }) },
    argv: ["run", "$DIR/c.json"],
    message: "ecli: error: $DIR/c.json: bpf_object: malformed zlib data (incorrect header check)",
  },
  {
    area: "package",
    what: "bpf_object_size does not match the inflated object",
    files: { "d.json": (p) => ({ ...p, bpf_object_size: 7 }) },
    argv: ["run", "$DIR/d.json"],
    message:
      "ecli: error: $DIR/d.json: bpf_object_size: 7 in the package, but the object inflates to more",
  },
  {
    area: "package",
    what: "bpf_object_size is beyond the 256 MiB limit",
    files: { "d2.json": (p) => ({ ...p, bpf_object_size: 2 ** 32 }) },
    argv: ["run", "$DIR/d2.json"],
    message:
      "ecli: error: $DIR/d2.json: bpf_object_size: 4294967296 bytes is more than the 256 MiB limit",
  },
  {
    area: "package",
    what: "a required field is missing",
    files: { "e.json": (p) => ({ ...p, meta: { ...(p.meta as object), bpf_skel: undefined } }) },
    argv: ["run", "$DIR/e.json"],
    message: "ecli: error: $DIR/e.json: meta.bpf_skel: missing (expected object)",
  },
  {
    area: "package",
    what: "a field has the wrong type",
    files: { "f.json": (p) => ({ ...p, bpf_object_size: "12" }) },
    argv: ["run", "$DIR/f.json"],
    message: "ecli: error: $DIR/f.json: bpf_object_size: expected number, received string",
  },
  {
    area: "package",
    what: "the object is not an ELF file",
    files: { "g.json": (p) => ({ ...p, bpf_object: NOT_ELF, bpf_object_size: 25 }) },
    argv: ["run", "$DIR/g.json"],
    message: "ecli: error: $DIR/g.json: bpf_object: not an ELF file (bad magic)",
  },
  {
    area: "package",
    what: "a package URL that cannot be fetched",
    argv: ["run", "http://127.0.0.1:9/package.json"],
    message: "ecli: error: http://127.0.0.1:9/package.json: cannot fetch: connection refused",
  },
  {
    area: "package",
    what: "the package file is not readable (here: run as nobody)",
    files: { "secret.private.json": "{}" },
    wrap: ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"],
    argv: ["run", "$DIR/secret.private.json"],
    message: "ecli: error: $DIR/secret.private.json: permission denied",
  },
  {
    area: "package",
    what: "ecli info on a broken package",
    files: { "h.json": "[]" },
    argv: ["info", "$DIR/h.json"],
    message: "ecli: error: $DIR/h.json: package: expected object, received array",
  },
  // ---- flags -------------------------------------------------------------------------------
  {
    area: "flag",
    what: "an unknown program flag",
    argv: ["run", "$PKG", "--nope"],
    message: "ecli: error: unknown program flag '--nope' (see: ecli run <package> --help)",
  },
  {
    area: "flag",
    what: "a program flag without its value",
    argv: ["run", "$PKG", "--min_duration_ns"],
    message:
      "ecli: error: --min_duration_ns needs a value (unsigned long long) (see: ecli run <package> --help)",
  },
  {
    area: "flag",
    what: "a program flag value that is not a number",
    argv: ["run", "$PKG", "--min_duration_ns", "soon"],
    message:
      "ecli: error: --min_duration_ns: 'soon' is not an integer (unsigned long long) (see: ecli run <package> --help)",
  },
  {
    area: "flag",
    what: "a program flag value out of range",
    argv: ["run", "$PKG", "--min_duration_ns", "-1"],
    message:
      "ecli: error: --min_duration_ns: -1 is out of range for unsigned long long (0..18446744073709551615) (see: ecli run <package> --help)",
  },
  {
    area: "flag",
    what: "a short flag the program does not have",
    argv: ["run", "$PKG", "-z"],
    message: "ecli: error: unknown program flag '-z' (see: ecli run <package> --help)",
  },
  {
    area: "flag",
    what: "--duration that is not a number",
    argv: ["run", "$PKG", "--duration", "abc"],
    message: "ecli: error: --duration needs a positive number, got 'abc' (see ecli --help)",
  },
  {
    area: "flag",
    what: "--count 0",
    argv: ["run", "$PKG", "--count", "0"],
    message: "ecli: error: --count needs a positive integer, got '0' (see ecli --help)",
  },
  {
    area: "flag",
    what: "--on-error with an unknown policy",
    argv: ["run", "$PKG", "--on-error", "ignore"],
    message: "ecli: error: --on-error takes stop or continue, got 'ignore' (see ecli --help)",
  },
  {
    area: "flag",
    what: "an unknown command",
    argv: ["frobnicate"],
    message: "ecli: error: unknown command 'frobnicate' (see ecli --help)",
  },
  {
    area: "flag",
    what: "run without a package",
    argv: ["run"],
    message: "ecli: error: missing <package> (see ecli --help)",
  },
  {
    area: "flag",
    what: "cleanup with an argument",
    argv: ["cleanup", "now"],
    message: "ecli: error: cleanup takes no arguments, got 'now' (see ecli --help)",
  },
  // ---- handlers ----------------------------------------------------------------------------
  {
    area: "handler",
    what: "the handler file does not exist",
    argv: ["run", "$PKG", "--handler", "$DIR/nope.ts"],
    message: "ecli: error: $DIR/nope.ts: no such file",
  },
  {
    area: "handler",
    what: "the handler does not parse",
    files: { "bad.ts": "export default (e => {" },
    argv: ["run", "$PKG", "--handler", "$DIR/bad.ts"],
    message: "ecli: error: $DIR/bad.ts: cannot load the handler: Unexpected end of file",
  },
  {
    area: "handler",
    what: "the handler's default export is neither a function nor an object of hooks",
    files: { "num.ts": "export default 42;" },
    argv: ["run", "$PKG", "--handler", "$DIR/num.ts"],
    message:
      "ecli: error: $DIR/num.ts: default export: Invalid input (a function (event, ctx) or an object with start/event/view/batch/sample/stop)",
  },
  {
    area: "handler",
    what: "the handler's start() throws",
    files: { "start.ts": 'export default { start() { throw new Error("no config"); } };' },
    argv: ["run", "$PKG", "--handler", "$DIR/start.ts"],
    message: "ecli: error: handler start() threw: no config",
  },
  {
    area: "handler",
    what: "inline handler code that does not parse",
    argv: ["run", "$PKG", "-e", "if (e.pid ="],
    message: "ecli: error: -e: cannot load the handler: Unexpected }",
  },
  // ---- sources (ecc) -----------------------------------------------------------------------
  {
    area: "source",
    what: "the source file does not exist",
    argv: ["compile", "$DIR/nope.bpf.c"],
    message: "ecc: error: source $DIR/nope.bpf.c: no such file",
  },
  {
    area: "source",
    what: "a C syntax error",
    files: { "syntax.bpf.c": '#include "vmlinux.h"\nint x = ;\n' },
    argv: ["compile", "$DIR/syntax.bpf.c", "-o", "$DIR/out1"],
    message: "ecc: error: clang failed (exit code 1) compiling $DIR/syntax.bpf.c",
  },
  {
    area: "source",
    what: "an event header without a struct",
    files: {
      "nostruct.bpf.c": '#include "vmlinux.h"\nchar LICENSE[] SEC("license") = "GPL";\n',
      "nostruct.h": "#define X 1\n",
    },
    argv: ["compile", "$DIR/nostruct.bpf.c", "$DIR/nostruct.h", "-o", "$DIR/out2"],
    message: "ecc: error: header $DIR/nostruct.h: defines no struct to export ('struct NAME {')",
  },
  // ---- environment -------------------------------------------------------------------------
  {
    area: "environment",
    what: "clang is not installed (not on PATH)",
    files: { "ok.bpf.c": '#include "vmlinux.h"\nchar LICENSE[] SEC("license") = "GPL";\n' },
    wrap: ["env", "PATH=/nonexistent"],
    argv: ["compile", "$DIR/ok.bpf.c", "-o", "$DIR/out3"],
    message:
      "ecc: error: clang not found: install it (Debian: apt-get install clang) or pass its path",
  },
  {
    area: "environment",
    what: "not root (no CAP_BPF/CAP_PERFMON)",
    wrap: ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=-all"],
    argv: ["run", "$PKG"],
    message:
      "ecli: error: Cannot load BPF object 'procsnoop_bpf': not permitted (run as root, or with CAP_BPF, CAP_PERFMON and CAP_NET_ADMIN)",
  },
  {
    area: "environment",
    what: "tracefs is not mounted",
    wrap: [
      "unshare",
      "-m",
      "sh",
      "-c",
      'umount -l /sys/kernel/tracing; umount -l /sys/kernel/debug 2>/dev/null; exec "$@"',
      "sh",
    ],
    argv: ["run", "$PKG"],
    message:
      "ecli: error: Cannot attach program 'handle_exec' (SEC(\"tp/sched/sched_process_exec\")): tracefs is not mounted (mount -t tracefs tracefs /sys/kernel/tracing)",
  },
  {
    area: "environment",
    what: "bpffs is not mounted (nothing needs it: the run works)",
    wrap: ["unshare", "-m", "sh", "-c", 'umount -l /sys/fs/bpf 2>/dev/null; exec "$@"', "sh"],
    argv: ["run", "$PKG", "--duration", "0.1"],
    message: "",
    code: 0,
  },
  {
    area: "environment",
    what:
      "a locked-memory limit of 0 (kernels since 5.11 charge BPF memory to the cgroup: the run works)",
    wrap: ["prlimit", "--memlock=0"],
    argv: ["run", "$PKG", "--duration", "0.1"],
    message: "",
    code: 0,
  },
  {
    area: "environment",
    what: "no kernel BTF (/sys/kernel/btf/vmlinux hidden)",
    wrap: [
      "unshare",
      "-m",
      "sh",
      "-c",
      'mount --bind /dev/null /sys/kernel/btf/vmlinux; exec "$@"',
      "sh",
    ],
    argv: ["run", "$PKG"],
    message:
      "ecli: error: Cannot load BPF object 'procsnoop_bpf': this kernel has no usable BTF at /sys/kernel/btf/vmlinux (CONFIG_DEBUG_INFO_BTF is off?), which CO-RE relocations need",
  },
  {
    area: "environment",
    what: "the libbpf named by LIBBPF_PATH cannot be loaded",
    wrap: ["env", "LIBBPF_PATH=/nonexistent/libbpf.so.1"],
    argv: ["run", "$PKG"],
    message:
      'ecli: error: cannot load libbpf (/nonexistent/libbpf.so.1): Failed to open library "/nonexistent/libbpf.so.1": /nonexistent/libbpf.so.1: cannot open shared object file: No such file or directory',
  },
];
