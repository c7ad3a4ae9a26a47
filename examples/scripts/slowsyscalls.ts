#!/usr/bin/env -S ecli run --format csv
/**
 * Logs every system call slower than --min_us microseconds as CSV (or --format tsv/logfmt):
 *
 *   sudo ./slowsyscalls.ts --min_us 10000 --output slow.csv
 *
 * The kernel times each call from sys_enter to sys_exit and reports only the slow ones.
 */
import type { Handler } from "./slowsyscalls.d.ts";

export const program = bpf`
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

struct event {
	int pid;
	int tid;
	char comm[16];
	long syscall;
	long ret;
	unsigned long long duration_us;
};

/// Report calls that take at least this many microseconds
const volatile unsigned long long min_us = 10000;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, u32);
	__type(value, u64);
} start SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 18);
} events SEC(".maps");

SEC("tracepoint/raw_syscalls/sys_enter")
int on_enter(struct trace_event_raw_sys_enter *ctx)
{
	u32 tid = (u32)bpf_get_current_pid_tgid();
	u64 now = bpf_ktime_get_ns();
	bpf_map_update_elem(&start, &tid, &now, BPF_ANY);
	return 0;
}

SEC("tracepoint/raw_syscalls/sys_exit")
int on_exit(struct trace_event_raw_sys_exit *ctx)
{
	u64 id = bpf_get_current_pid_tgid();
	u32 tid = (u32)id;
	u64 *t0 = bpf_map_lookup_elem(&start, &tid);
	if (!t0)
		return 0;
	u64 us = (bpf_ktime_get_ns() - *t0) / 1000;
	bpf_map_delete_elem(&start, &tid);
	if (us < min_us)
		return 0;
	struct event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e)
		return 0;
	e->pid = id >> 32;
	e->tid = tid;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	e->syscall = ctx->id;
	e->ret = ctx->ret;
	e->duration_us = us;
	bpf_ringbuf_submit(e, 0);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
`;

export default ((e) => ({
  comm: e.comm,
  pid: e.pid,
  syscall: e.syscall,
  ret: e.ret,
  duration_us: e.duration_us,
})) satisfies Handler;
