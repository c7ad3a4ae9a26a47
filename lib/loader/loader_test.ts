import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { ffi } from "../../ffi/mod.ts";
import { RingBufferReader } from "../export/mod.ts";
import { BpfObject, kernelBtfPath, LoaderError, loadObject } from "./mod.ts";
import {
  buildPackage,
  cStringAt,
  kernelTest,
  linkTypesOf,
  programNamesOf,
  run,
  u32le,
  uniqueTrue,
  until,
} from "../../tests/support/kernel.ts";

const FILTERED_EXEC = `
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
const volatile u32 target_pid = 0;
struct event { u32 pid; char comm[16]; };
struct { __uint(type, BPF_MAP_TYPE_RINGBUF); __uint(max_entries, 64 * 1024); } rb SEC(".maps");
SEC("tp/sched/sched_process_exec")
int ecli_ld_exec(void *ctx)
{
  u32 pid = bpf_get_current_pid_tgid() >> 32;
  if (target_pid && pid != target_pid) return 0;
  struct event *e = bpf_ringbuf_reserve(&rb, sizeof(*e), 0);
  if (!e) return 0;
  e->pid = pid;
  bpf_get_current_comm(e->comm, sizeof(e->comm));
  bpf_ringbuf_submit(e, 0);
  return 0;
}
char LICENSE[] SEC("license") = "GPL";
`;

kernelTest(
  "loader: a rodata pid filter set before load changes what the kernel reports",
  async () => {
    const marker = uniqueTrue("rod");
    // The target waits on stdin, then execs the marker under its own pid.
    const target = new Deno.Command("sh", {
      args: ["-c", `read x; exec ${marker.path}`],
      stdin: "piped",
    }).spawn();
    const obj = loadObject(await buildPackage("ecli_ld_rod", FILTERED_EXEC), {
      variables: [{ section: ".rodata", name: "target_pid", bytes: u32le(target.pid) }],
    });
    const seen: { pid: number; comm: string }[] = [];
    const rb = new RingBufferReader(obj.map("rb"), (b) => {
      seen.push({
        pid: new DataView(b.buffer, b.byteOffset).getUint32(0, true),
        comm: cStringAt(b.subarray(4)),
      });
    }, { timeoutMs: 20 });
    try {
      const running = rb.run();
      // Same comm, other pids: filtered out in the kernel.
      for (let i = 0; i < 2; i++) assert.ok((await new Deno.Command(marker.path).output()).success);
      const w = target.stdin.getWriter();
      await w.write(new TextEncoder().encode("go\n"));
      await w.close();
      assert.ok((await target.status).success);
      assert.ok(
        await until(() => seen.some((e) => e.pid === target.pid)),
        "no event for the target",
      );
      rb.stop();
      await running;
      assert.deepEqual(seen, [{ pid: target.pid, comm: marker.comm }]);
    } finally {
      await rb.close();
      obj.close();
    }
  },
);

const GLOBALS = `
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
const volatile u32 ro_a = 7;
const volatile u64 ro_b = 9;
const volatile char ro_name[16] = "default";
u32 data_x = 0x11223344;
u64 bss_y;
SEC("tp/syscalls/sys_enter_getpid")
int ecli_ld_glob(void *ctx)
{
  bss_y = ro_a + ro_b + ro_name[0] + data_x;
  return 0;
}
char LICENSE[] SEC("license") = "GPL";
`;

/** The kernel's copy of an internal map's value (key 0). */
function sectionImage(obj: BpfObject, suffix: string): Uint8Array {
  const m = obj.maps().find((m) => m.name.endsWith(suffix))!;
  const value = new Uint8Array(m.valueSize);
  assert.equal(ffi().libbpf.bpf_map_lookup_elem(m.fd, new Uint32Array(1), value), 0);
  return value;
}

kernelTest(
  "loader: variables are written at their BTF offsets, the rest keeps ELF values",
  async () => {
    const pkg = await buildPackage("ecli_ld_glob", GLOBALS);
    const obj = BpfObject.open(pkg);
    try {
      assert.throws(
        () => obj.setVariable({ section: ".rodata", name: "ro_b", bytes: u32le(1) }),
        /'ro_b' \(\.rodata\) is 4 bytes, the variable takes 8/,
      );
      assert.throws(
        () => obj.setVariable({ section: ".rodata", name: "nope", bytes: u32le(1) }),
        /no variable 'nope' in section '\.rodata'/,
      );
      assert.throws(
        () => obj.setVariable({ section: ".maps", name: "x", bytes: u32le(1) }),
        /no data section '\.maps'/,
      );
      obj.setVariables([
        { section: ".rodata", name: "ro_b", bytes: new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]) },
        { section: ".rodata", name: "ro_name", bytes: new TextEncoder().encode("hi\0") },
        { section: ".data", name: "data_x", bytes: u32le(0xcafe) },
        { section: ".bss", name: "bss_y", bytes: new Uint8Array(8).fill(0xee) },
      ]);
      obj.load();
      assert.throws(
        () => obj.setVariable({ section: ".bss", name: "bss_y", bytes: new Uint8Array(8) }),
        /is loaded/,
      );
      const ro = sectionImage(obj, ".rodata");
      const at = (name: string, section = ".rodata") => obj.variable(section, name).offset;
      assert.equal(
        new DataView(ro.buffer).getUint32(at("ro_a"), true),
        7,
        "unset variable keeps 7",
      );
      assert.deepEqual([...ro.subarray(at("ro_b"), at("ro_b") + 8)], [1, 2, 3, 4, 5, 6, 7, 8]);
      // A shorter array value fills a prefix; the ELF's "default" shows through after it.
      assert.equal(cStringAt(ro.subarray(at("ro_name"))), "hi");
      assert.equal(ro[at("ro_name") + 3], "default".charCodeAt(3));
      const data = sectionImage(obj, ".data");
      assert.equal(new DataView(data.buffer).getUint32(at("data_x", ".data"), true), 0xcafe);
      const bss = sectionImage(obj, ".bss");
      assert.ok(
        bss.subarray(at("bss_y", ".bss"), at("bss_y", ".bss") + 8).every((b) => b === 0xee),
      );
    } finally {
      obj.close();
    }
    assert.equal(obj.state, "closed");
    assert.deepEqual(obj.close(), [], "close is idempotent");
  },
);

const NET = `
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
SEC("xdp")
int ecli_ld_xdp(struct xdp_md *ctx) { return XDP_PASS; }
/// @tcopts {"handle": 7, "priority": 3}
SEC("tc")
int ecli_ld_tc(struct __sk_buff *skb) { return 0; }
char LICENSE[] SEC("license") = "GPL";
`;

/** The LoaderError `fn` throws. */
function thrown(fn: () => unknown): LoaderError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof LoaderError, `not a LoaderError: ${e}`);
    return e;
  }
  assert.fail("no error thrown");
}

const sh = (cmd: string, ...args: string[]) => run(cmd, args);

for (const mode of ["link", "netlink"] as const) {
  kernelTest(
    `loader: XDP and tc attach on lo (ifindex 1) through ${mode}s, close removes both`,
    async () => {
      const qdiscBefore = sh("tc", "qdisc", "show", "dev", "lo");
      const env = Deno.env.get("ECLI_ATTACH");
      if (mode === "netlink") Deno.env.set("ECLI_ATTACH", "netlink");
      let obj;
      try {
        obj = loadObject(await buildPackage("ecli_ld_net", NET));
      } finally {
        if (env === undefined) Deno.env.delete("ECLI_ATTACH");
        else Deno.env.set("ECLI_ATTACH", env);
      }
      try {
        assert.deepEqual(obj.attachments.map((a) => [a.program, a.kind]), [
          ["ecli_ld_xdp", "xdp"],
          ["ecli_ld_tc", "tc"],
        ]);
        const filters = sh("tc", "filter", "show", "dev", "lo", "ingress");
        const net = sh("bpftool", "net", "show", "dev", "lo");
        // tcx (6.6+) and XDP are links; kernels without tcx get the netlink filter.
        const tcLink = linkTypesOf("ecli_ld_tc").length > 0;
        if (mode === "link") assert.deepEqual(linkTypesOf("ecli_ld_xdp"), ["xdp"]);
        else assert.deepEqual(linkTypesOf("ecli_ld_xdp"), []);
        if (mode === "netlink" || !tcLink) {
          assert.match(filters, /pref 3 bpf .*handle 0x7 ecli_ld_tc/);
        }
        if (mode === "link" && /^6\.([6-9]|\d\d)|^[7-9]\./.test(Deno.osRelease())) {
          assert.deepEqual(linkTypesOf("ecli_ld_tc"), [11], "a tcx link on 6.6+");
        }
        const xdpId = new Uint32Array(1);
        assert.equal(ffi().libbpf.bpf_xdp_query_id(1, 0, xdpId), 0);
        assert.match(net, /xdp:\s*\n\s*lo\(1\) (generic|driver) id \d+/);
        if (!tcLink) assert.match(net, /ecli_ld_tc/);
      } finally {
        assert.deepEqual(obj.close(), []);
      }
      assert.doesNotMatch(sh("tc", "filter", "show", "dev", "lo", "ingress"), /ecli_ld_tc/);
      assert.doesNotMatch(sh("ip", "link", "show", "dev", "lo"), /xdp/);
      assert.doesNotMatch(sh("bpftool", "net", "show", "dev", "lo"), /ecli_ld/);
      if (!qdiscBefore.includes("clsact")) {
        assert.doesNotMatch(sh("tc", "qdisc", "show", "dev", "lo"), /clsact/);
      }
      // The kernel frees a detached program after an RCU grace period: wait for it, bounded.
      const gone = () => {
        const names = programNamesOf(Deno.pid);
        return !names.includes("ecli_ld_xdp") && !names.includes("ecli_ld_tc");
      };
      assert.ok(await until(gone, 3000), programNamesOf(Deno.pid).join(","));
    },
  );
}

const REJECTED = `
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
SEC("tp/syscalls/sys_enter_getpid")
int ecli_ld_bad(void *ctx)
{
  int *p = (int *)(long)bpf_get_prandom_u32();
  return *p;
}
char LICENSE[] SEC("license") = "GPL";
`;

kernelTest("loader: a verifier rejection is one line with the verifier's verdict", async () => {
  const pkg = await buildPackage("ecli_ld_bad", REJECTED);
  const lines: string[] = [];
  const e = thrown(() => loadObject(pkg, { log: (_l, line) => lines.push(line) }));
  assert.match(e.message, /^Failed to load BPF object 'ecli_ld_bad_bpf': program 'ecli_ld_bad'/);
  assert.match(e.message, /rejected by the kernel \(Permission denied\): R0 invalid mem access/);
  assert.match(e.message, /--verbose/);
  assert.ok(!e.message.includes("\n"));
  assert.match(e.details!, /BPF program load failed: Permission denied/);
  assert.match(e.details!, /-- BEGIN PROG LOAD LOG --/);
  assert.deepEqual(lines, [], "a failure's warnings go into the error, not the log");
  assert.ok(!programNamesOf(Deno.pid).includes("ecli_ld_bad"));
});

const UNSUPPORTED = `
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
SEC("tp/syscalls/sys_enter_getpid")
int ecli_ld_uns_tp(void *ctx) { return 0; }
SEC("socket")
int ecli_ld_uns_sk(struct __sk_buff *skb) { return 0; }
char LICENSE[] SEC("license") = "GPL";
`;

kernelTest("loader: an unsupported section fails attach and leaves nothing loaded", async () => {
  const pkg = await buildPackage("ecli_ld_uns", UNSUPPORTED);
  assert.deepEqual(pkg.meta.bpf_skel.progs.map((p) => p.name), [
    "ecli_ld_uns_tp",
    "ecli_ld_uns_sk",
  ]);
  const obj = BpfObject.open(pkg);
  obj.load();
  const e = thrown(() => obj.attach());
  assert.equal(e.message, "Unsupported attach type: socket");
  assert.equal(obj.state, "closed");
  const names = programNamesOf(Deno.pid);
  assert.ok(!names.includes("ecli_ld_uns_tp") && !names.includes("ecli_ld_uns_sk"));
  assert.doesNotMatch(run("bpftool", ["link", "list"]), /ecli_ld_uns/);
});

const WRONG_CTX = `
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
SEC("tp/syscalls/sys_enter_getpid")
int ecli_ld_ctx_ok(void *ctx) { return 0; }
/* raw_syscalls' layout (long id at offset 8) on a syscalls/ tracepoint of 12 bytes. */
SEC("tp/syscalls/sys_enter_getpid")
int ecli_ld_ctx_bad(struct trace_event_raw_sys_enter *ctx) { return ctx->id == 39; }
char LICENSE[] SEC("license") = "GPL";
`;

kernelTest(
  "loader: an attach failure names the program, hints, and detaches the others",
  async () => {
    const pkg = await buildPackage("ecli_ld_ctx", WRONG_CTX);
    const e = thrown(() => loadObject(pkg));
    assert.match(
      e.message,
      /^Failed to attach program 'ecli_ld_ctx_bad' \(SEC\("tp\/syscalls\/sys_enter_getpid"\)\): Permission denied/,
    );
    assert.match(e.message, /tracepoint's format file/);
    const names = programNamesOf(Deno.pid);
    assert.ok(!names.includes("ecli_ld_ctx_ok") && !names.includes("ecli_ld_ctx_bad"));
  },
);

kernelTest("loader: a program listed in meta but missing from the object is an error", async () => {
  const pkg = await buildPackage("ecli_ld_miss", UNSUPPORTED);
  pkg.meta.bpf_skel.progs = [pkg.meta.bpf_skel.progs[0], {
    name: "ghost",
    attach: "tp/x/y",
    link: true,
  }];
  const e = thrown(() => loadObject(pkg));
  assert.equal(e.message, "Program 'ghost' not found in BPF object 'ecli_ld_miss_bpf'");
  assert.ok(!programNamesOf(Deno.pid).includes("ecli_ld_uns_tp"));
});

const CORE = `
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
u32 ppid = 0;
SEC("tp/syscalls/sys_enter_getpid")
int ecli_ld_core(void *ctx)
{
  struct task_struct *t = (struct task_struct *)bpf_get_current_task();
  ppid = BPF_CORE_READ(t, real_parent, tgid);
  return 0;
}
char LICENSE[] SEC("license") = "GPL";
`;

kernelTest(
  "loader: kernel BTF path: explicit file works, a directory or non-BTF is refused",
  async () => {
    const pkg = await buildPackage("ecli_ld_core", CORE);
    loadObject(pkg, { btfPath: "/sys/kernel/btf/vmlinux", attach: false }).close();
    assert.match(
      thrown(() => BpfObject.open(pkg, { btfPath: "/tmp" })).message,
      /kernel BTF \/tmp is a directory; it must name a BTF file/,
    );
    assert.match(
      thrown(() => BpfObject.open(pkg, { btfPath: "/etc/hostname" })).message,
      /not a BTF or ELF file/,
    );
    assert.match(
      thrown(() => BpfObject.open(pkg, { btfPath: "/nonexistent" })).message,
      /no such file/,
    );
    // The environment variable, in a child process (env is process-wide here).
    const r = spawnSync("deno", [
      "eval",
      `import { kernelBtfPath } from "${new URL(
        "./mod.ts",
        import.meta.url,
      )}"; try { kernelBtfPath(); } catch (e) { console.log(e.message); }`,
    ], {
      encoding: "utf8",
      env: { ...Deno.env.toObject(), BTF_FILE_PATH: "/sys/kernel/btf" },
    });
    assert.equal(
      r.stdout.trim(),
      "BTF_FILE_PATH=/sys/kernel/btf is a directory; it must name a BTF file (such as /sys/kernel/btf/vmlinux)",
    );
    assert.equal(kernelBtfPath("/sys/kernel/btf/vmlinux"), "/sys/kernel/btf/vmlinux");
  },
);

kernelTest(
  "loader: verbose forwards libbpf's debug lines; quiet forwards nothing on success",
  async () => {
    const pkg = await buildPackage("ecli_ld_core2", CORE);
    const verbose: string[] = [];
    const quiet: string[] = [];
    loadObject(pkg, { verbose: true, log: (level, line) => verbose.push(`${level}: ${line}`) })
      .close();
    loadObject(pkg, { log: (level, line) => quiet.push(`${level}: ${line}`) }).close();
    assert.ok(
      verbose.some((l) => l.startsWith("debug: loading object 'ecli_ld_core2_bpf' from buffer")),
      verbose.join("\n"),
    );
    assert.ok(verbose.some((l) => /CO-RE relocating|relo #0/.test(l)));
    assert.deepEqual(quiet, []);
  },
);
