// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "unlinklat.h"

/// Report only calls that took at least this many nanoseconds (0: every call)
const volatile unsigned long long min_latency_ns = 0;

/// Entry time of every unlinkat() in flight, keyed by thread id
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, u32);
	__type(value, u64);
} start SEC(".maps");

/// Finished unlinks
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} rb SEC(".maps");

/*
 * fentry/fexit need a function in the kernel's BTF with the same prototype everywhere.
 * do_unlinkat() is not in 7.x kernels; the x86-64 syscall entry point is, on every kernel
 * since 4.17, always as `long (const struct pt_regs *)`. The user's arguments are in that
 * pt_regs.
 */
SEC("fentry/__x64_sys_unlinkat")
int BPF_PROG(unlinkat_entry, const struct pt_regs *regs)
{
	u32 tid = (u32)bpf_get_current_pid_tgid();
	u64 now = bpf_ktime_get_ns();

	bpf_map_update_elem(&start, &tid, &now, BPF_ANY);
	return 0;
}

/* fexit sees the arguments and the return value in one program. */
SEC("fexit/__x64_sys_unlinkat")
int BPF_PROG(unlinkat_exit, const struct pt_regs *regs, long ret)
{
	u64 id = bpf_get_current_pid_tgid();
	u32 tid = (u32)id;
	u64 *entered = bpf_map_lookup_elem(&start, &tid);

	if (!entered)
		return 0;
	u64 latency = bpf_ktime_get_ns() - *entered;
	bpf_map_delete_elem(&start, &tid);
	if (latency < min_latency_ns)
		return 0;

	struct event *e = bpf_ringbuf_reserve(&rb, sizeof(*e), 0);
	if (!e)
		return 0;
	e->pid = id >> 32;
	e->ret = ret;
	e->latency_ns = latency;
	bpf_get_current_comm(&e->comm, sizeof(e->comm));
	bpf_probe_read_user_str(&e->filename, sizeof(e->filename),
				(const char *)PT_REGS_PARM2_CORE_SYSCALL(regs));
	bpf_ringbuf_submit(e, 0);
	return 0;
}

/// @brief Time unlinkat() with fentry and fexit.
/// @details One event per finished call on x86-64: who removed which path, the result and how
/// long the call took in nanoseconds.
/// @version 0.1
char LICENSE[] SEC("license") = "Dual BSD/GPL";
