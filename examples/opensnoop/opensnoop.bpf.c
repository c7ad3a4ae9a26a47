// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "opensnoop.h"

/// Trace only this process id (0: every process)
const volatile pid_t pid_target = 0;

/// @cmdarg {"default": false, "short": "f", "long": "failed"}
/// @description Report only failed opens
const volatile bool targ_failed = false;

/* What sys_enter saw, kept until sys_exit has the result. */
struct args_t {
	const char *fname;
	int flags;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, u32);
	__type(value, struct args_t);
} start SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(key_size, sizeof(u32));
	__uint(value_size, sizeof(u32));
} events SEC(".maps");

static __always_inline int remember(const char *fname, int flags)
{
	u64 id = bpf_get_current_pid_tgid();
	u32 tid = (u32)id;

	if (pid_target && (id >> 32) != pid_target)
		return 0;
	struct args_t args = { .fname = fname, .flags = flags };
	bpf_map_update_elem(&start, &tid, &args, BPF_ANY);
	return 0;
}

static __always_inline int report(void *ctx, long ret)
{
	u64 id = bpf_get_current_pid_tgid();
	u32 tid = (u32)id;
	struct args_t *args = bpf_map_lookup_elem(&start, &tid);

	if (!args)
		return 0;
	if (targ_failed && ret >= 0)
		goto cleanup;

	struct event e = {};
	e.pid = id >> 32;
	e.uid = (u32)bpf_get_current_uid_gid();
	e.ret = ret;
	e.flags = args->flags;
	bpf_get_current_comm(&e.comm, sizeof(e.comm));
	bpf_probe_read_user_str(&e.fname, sizeof(e.fname), args->fname);
	bpf_perf_event_output(ctx, &events, BPF_F_CURRENT_CPU, &e, sizeof(e));
cleanup:
	bpf_map_delete_elem(&start, &tid);
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_open")
int tracepoint__syscalls__sys_enter_open(struct trace_event_raw_sys_enter *ctx)
{
	return remember((const char *)ctx->args[0], (int)ctx->args[1]);
}

SEC("tracepoint/syscalls/sys_enter_openat")
int tracepoint__syscalls__sys_enter_openat(struct trace_event_raw_sys_enter *ctx)
{
	return remember((const char *)ctx->args[1], (int)ctx->args[2]);
}

SEC("tracepoint/syscalls/sys_exit_open")
int tracepoint__syscalls__sys_exit_open(struct trace_event_raw_sys_exit *ctx)
{
	return report(ctx, ctx->ret);
}

SEC("tracepoint/syscalls/sys_exit_openat")
int tracepoint__syscalls__sys_exit_openat(struct trace_event_raw_sys_exit *ctx)
{
	return report(ctx, ctx->ret);
}

/// Trace open() and openat() calls: who opened which path, and the result.
char LICENSE[] SEC("license") = "GPL";
