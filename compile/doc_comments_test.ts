import assert from "node:assert/strict";
import { type DocFields, parseDocComments } from "./doc_comments.ts";

/** The docs of a source as a plain object, for one deepEqual per test. */
function docsOf(source: string): Record<string, DocFields> {
  return Object.fromEntries(parseDocComments(source).byName);
}

Deno.test("opensnoop: variable descriptions, @cmdarg and the LICENSE doc", () => {
  const source = `// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Copyright (c) 2019 Facebook
 * Copyright (c) 2020 Netflix */
#include <vmlinux.h>
#include <bpf/bpf_helpers.h>
#include "opensnoop.h"

/// Process ID to trace
const volatile int pid_target = 0;
/// Thread ID to trace
const volatile int tgid_target = 0;
/// User ID to trace
const volatile int uid_target = 0;

/// @cmdarg {"default": false, "short": "f", "long": "failed"}
/// @description trace only failed events
const volatile bool targ_failed = false;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, u32);
	__type(value, struct args_t);
} start SEC(".maps");

static __always_inline bool valid_uid(uid_t uid) {
	return uid != INVALID_UID;
}

SEC("tracepoint/syscalls/sys_enter_open")
int tracepoint__syscalls__sys_enter_open(struct trace_event_raw_sys_enter* ctx)
{
	u64 id = bpf_get_current_pid_tgid();
	u32 tgid = id >> 32;
	if (trace_allowed(tgid, id)) {
		struct args_t args = {};
		args.fname = (const char *)ctx->args[0];
		bpf_map_update_elem(&start, &pid, &args, 0);
	}
	return 0;
}

/// Trace open family syscalls.
char LICENSE[] SEC("license") = "GPL";
`;
  const docs = parseDocComments(source);
  assert.deepEqual(Object.fromEntries(docs.byName), {
    pid_target: { description: "Process ID to trace" },
    tgid_target: { description: "Thread ID to trace" },
    uid_target: { description: "User ID to trace" },
    targ_failed: {
      cmdarg: { default: false, short: "f", long: "failed" },
      description: "trace only failed events",
    },
    LICENSE: { description: "Trace open family syscalls." },
  });
  assert.deepEqual(docs.license, { description: "Trace open family syscalls." });
});

Deno.test("runqlat: @sample on a BTF-defined map, BPF_PROG programs", () => {
  const source = `#include <vmlinux.h>
#include "runqlat.h"
#include "bits.bpf.h"

#define MAX_ENTRIES	10240
#define TASK_RUNNING 	0

const volatile bool filter_cg = false;
const volatile __u64 min_duration_ns = 0;

struct {
	__uint(type, BPF_MAP_TYPE_CGROUP_ARRAY);
	__type(key, u32);
	__type(value, u32);
	__uint(max_entries, 1);
} cgroup_map SEC(".maps");

/// @sample {"interval": 1000, "type" : "log2_hist"}
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MAX_ENTRIES);
	__type(key, u32);
	__type(value, struct hist);
} hists SEC(".maps");

static struct hist zero;

/// Wakeups of a task
SEC("raw_tp/sched_wakeup")
int BPF_PROG(handle_sched_wakeup, struct task_struct *p)
{
	if (filter_cg && !bpf_current_task_under_cgroup(&cgroup_map, 0))
		return 0;
	return trace_enqueue(p->tgid, p->pid);
}

/// New tasks
/// @flags 0
SEC("raw_tp/sched_wakeup_new")
int BPF_PROG(handle_sched_wakeup_new, struct task_struct *p)
{
	return trace_enqueue(p->tgid, p->pid);
}

char LICENSE[] SEC("license") = "GPL";
`;
  const docs = parseDocComments(source);
  assert.deepEqual(Object.fromEntries(docs.byName), {
    hists: { sample: { interval: 1000, type: "log2_hist" } },
    handle_sched_wakeup: { description: "Wakeups of a task" },
    handle_sched_wakeup_new: { description: "New tasks", flags: 0 },
  });
  assert.equal(docs.license, undefined);
});

Deno.test("tc and xdp programs: @tchook, @tcopts, @ifindex, @flags, @xdpopts", () => {
  const tc = `#include <vmlinux.h>
#define TC_ACT_OK 0
#define ETH_P_IP  0x0800 /* Internet Protocol packet	*/

/// @tchook {"ifindex":1, "attach_point":"BPF_TC_INGRESS"}
/// @tcopts {"handle":1, "priority":1}
SEC("tc")
int tc_ingress(struct __sk_buff *ctx)
{
	void *data_end = (void *)(__u64)ctx->data_end;
	if (ctx->protocol != bpf_htons(ETH_P_IP))
		return TC_ACT_OK;
	bpf_printk("Got IP packet: tot_len: %d, ttl: %d", bpf_ntohs(l3->tot_len), l3->ttl);
	return TC_ACT_OK;
}

char __license[] SEC("license") = "GPL";
`;
  assert.deepEqual(docsOf(tc), {
    tc_ingress: {
      tchook: { ifindex: 1, attach_point: "BPF_TC_INGRESS" },
      tcopts: { handle: 1, priority: 1 },
    },
  });

  const xdp = `#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

/// @ifindex 1
/// @flags 0
/// @xdpopts {"old_prog_fd":0}
SEC("xdp")
int xdp_pass(struct xdp_md* ctx) {
    void* data = (void*)(long)ctx->data;
    void* data_end = (void*)(long)ctx->data_end;
    int pkt_sz = data_end - data;

    bpf_printk("packet size is %d", pkt_sz);
    return XDP_PASS;
}

char __license[] SEC("license") = "GPL";
`;
  const docs = parseDocComments(xdp);
  assert.deepEqual(Object.fromEntries(docs.byName), {
    xdp_pass: { ifindex: 1, flags: 0, xdpopts: { old_prog_fd: 0 } },
  });
  assert.equal(docs.license, undefined, "__license is not LICENSE");
});

Deno.test("LICENSE doc with @brief, multi-line @details and @version", () => {
  const source = `/// @brief A minimal tool
/// @details It traces the write syscall and shows
/// information (pid, comm) about the writer.
/// @version 0.1
char LICENSE[] SEC("license") = "Dual BSD/GPL";
`;
  const expected = {
    brief: "A minimal tool",
    details: "It traces the write syscall and shows\n information (pid, comm) about the writer.",
    version: "0.1",
  };
  const docs = parseDocComments(source);
  assert.deepEqual(docs.license, expected);
  assert.deepEqual(Object.fromEntries(docs.byName), { LICENSE: expected });
});

Deno.test("kprobe macros: the program is the macro's first argument", () => {
  const source = `/// unlink entry
SEC("kprobe/do_unlinkat")
int BPF_KPROBE(do_unlinkat, int dfd, struct filename *name)
{
	pid_t pid = bpf_get_current_pid_tgid() >> 32;
	const char *filename = BPF_CORE_READ(name, name);
	bpf_printk("KPROBE ENTRY pid = %d, filename = %s\\n", pid, filename);
	return 0;
}

/// unlink exit
SEC("kretprobe/do_unlinkat")
int BPF_KRETPROBE(do_unlinkat_exit, long ret) { return 0; }

/// readline
SEC("uretprobe//bin/bash:readline")
int BPF_URETPROBE(printret, const void *ret) { return 0; }

/// a syscall
SEC("ksyscall/kill")
int BPF_KSYSCALL(entry_probe, pid_t pid, int sig) { return 0; }

/// usdt
SEC("usdt")
int BPF_USDT(usdt_auto_attach, void *arg1, int arg2, void *arg3) { return 0; }

/// fentry
SEC("fentry/do_unlinkat")
int BPF_PROG2(fentry_unlink, int, dfd, struct filename *, name) { return 0; }
`;
  assert.deepEqual(docsOf(source), {
    do_unlinkat: { description: "unlink entry" },
    do_unlinkat_exit: { description: "unlink exit" },
    printret: { description: "readline" },
    entry_probe: { description: "a syscall" },
    usdt_auto_attach: { description: "usdt" },
    fentry_unlink: { description: "fentry" },
  });
});

Deno.test("/** */ and /*! */ block comments lose their * decoration", () => {
  const source = `/**
 * Ring buffer of exec events.
 *
 * @sample {"interval": 500,
 *          "type": "default_kv"}
 */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} rb SEC(".maps");

/** minimum duration @unit ns */
const volatile unsigned long long min_duration_ns = 0;

/*!
 * @brief exec tracer
 * @details Line one
 *   indented line two
 */
char LICENSE[] SEC("license") = "Dual BSD/GPL";
`;
  assert.deepEqual(docsOf(source), {
    rb: {
      description: "Ring buffer of exec events.",
      sample: { interval: 500, type: "default_kv" },
    },
    min_duration_ns: { description: "minimum duration", unit: "ns" },
    LICENSE: { brief: "exec tracer", details: "Line one\n  indented line two" },
  });
});

Deno.test("plain comments, separated docs and docs inside bodies do not attach", () => {
  const source = `// a plain comment
const volatile int plain_line = 0;
/* a plain block */
const volatile int plain_block = 0;
//// a separator line
const volatile int separator = 0;
/*** a banner ***/
const volatile int banner = 0;

/// separated by a directive
#define LIMIT 10
const volatile int after_directive = 0;

/// separated by a plain comment
// plain
const volatile int after_plain = 0;

/// documents the struct definition, not the next variable
struct args_t {
	/// a field doc: not a top-level name
	const char *fname;
	int flags;
};
const volatile int after_struct = 0;

/// lost: replaced by the next doc block

/// kept
const volatile int kept = 0;

int handler(void *ctx)
{
	/// inside a body
	int inner = 0;
	return inner;
}
/// dangling at the end of the file
`;
  assert.deepEqual(docsOf(source), { kept: { description: "kept" } });
});

Deno.test("descriptions: multi-line kept whole, paragraphs, numbers stay strings", () => {
  const source = `/// Trace only events of this cgroup:
/// a path below /sys/fs/cgroup.
///
/// Empty means every cgroup.
const volatile char cgroup_path[64] = "";

/// 42
const volatile int answer = 42;

/// First text
/// @description explicit wins
const volatile int explicit_desc = 0;

/// @unit ms
/// more text
const volatile int unit_lines = 0;

/// @flag
/// @cmdarg {"long": "verbose"}
/// @cmdarg {"long": "quiet"}
const volatile bool repeated = false;

/// @description 7
/// @count 7
/// @name tool@example
const volatile int typed = 0;
`;
  assert.deepEqual(docsOf(source), {
    cgroup_path: {
      description: "Trace only events of this cgroup: a path below /sys/fs/cgroup.\n" +
        "Empty means every cgroup.",
    },
    answer: { description: "42" },
    explicit_desc: { description: "explicit wins" },
    unit_lines: { unit: "ms more text" },
    repeated: { cmdarg: { long: "quiet" } },
    typed: { description: "7", count: 7, name: "tool@example" },
  });
});

Deno.test("@export_config keeps its underscore; \\commands work like @commands", () => {
  const source = `/// @export_config {"btf_type_id": 5}
/// \\intepreter {"stack_trace": {}}
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
} events SEC(".maps");

/// \\brief short \\version 2
char LICENSE[] SEC("license") = "GPL";
`;
  assert.deepEqual(docsOf(source), {
    events: { export_config: { btf_type_id: 5 }, intepreter: { stack_trace: {} } },
    LICENSE: { brief: "short", version: "2" },
  });
});

Deno.test("string and char literals, nested brackets and continuations do not confuse it", () => {
  const source = `#define DEBUG(fmt, ...) \\
	bpf_printk("/// not a doc {" fmt, \\
		   ##__VA_ARGS__)
#define OPEN_BRACE '{' /* a
  multi-line comment in a directive */
/// after the directive
const volatile char prefix[8] = "/// {(";

int tricky(void *ctx)
{
	char quote = '"';
	char brace = '}';
	const char *s = "} /* \\" }";
	struct { int a[2]; } v = { { 1, 2 } };
	return s[0] + quote + brace + v.a[0];
}

/// still found
const volatile long after_body = 0;
`;
  assert.deepEqual(docsOf(source), {
    prefix: { description: "after the directive" },
    after_body: { description: "still found" },
  });
});

Deno.test("declarator forms: lists, arrays, pointers, decorations, typedefs, prototypes", () => {
  const source = `/// both
int a = 1, b;
/// array
char comm[16];
/// pointer
struct event *p __attribute__((aligned(8)));
/// initialiser with braces
struct config cfg SEC(".data") = { .pid = 1, .names = { "a", "b" } };
/// kernel symbol
extern const void bpf_prog_active __ksym;
/// typedef
typedef struct { int x; } point_t;
/// function pointer
int (*callback)(int, char *);
/// prototype
static long helper(void *ctx, int n);
/// an enum declares no variable
enum { A = 1, B = 2 };
/// returns a struct pointer
struct event *make_event(int pid) { return 0; }
int tail; ///< trailing doc
`;
  assert.deepEqual(docsOf(source), {
    a: { description: "both" },
    b: { description: "both" },
    comm: { description: "array" },
    p: { description: "pointer" },
    cfg: { description: "initialiser with braces" },
    bpf_prog_active: { description: "kernel symbol" },
    point_t: { description: "typedef" },
    callback: { description: "function pointer" },
    helper: { description: "prototype" },
    make_event: { description: "returns a struct pointer" },
    tail: { description: "trailing doc" },
  });
});

Deno.test("a source without doc comments gives no entries", () => {
  const docs = parseDocComments(`#include <vmlinux.h>
SEC("tp/syscalls/sys_enter_write")
int handle_tp(void *ctx) { return 0; }
char LICENSE[] SEC("license") = "Dual BSD/GPL";
`);
  assert.equal(docs.byName.size, 0);
  assert.equal(docs.license, undefined);
});
