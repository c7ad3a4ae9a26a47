// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "unlinksnoop.h"

/// Trace only this process id (0: every process)
const volatile pid_t pid_target = 0;

/// What the entry probe saw, keyed by thread id until the return probe adds the result
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, u32);
	__type(value, struct event);
} inflight SEC(".maps");

/// Finished unlinks
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} rb SEC(".maps");

/*
 * do_unlinkat() would be the natural function to probe, but 7.x kernels renamed it
 * (filename_unlinkat()); the x86-64 syscall entry point exists under one name and one
 * prototype on every kernel since 4.17. Its single argument is the user's registers.
 */
SEC("kprobe/__x64_sys_unlinkat")
int BPF_KPROBE(unlinkat_entry, const struct pt_regs *regs)
{
	const char *pathname = (const char *)PT_REGS_PARM2_CORE_SYSCALL(regs);
	u64 id = bpf_get_current_pid_tgid();
	u32 tid = (u32)id;
	struct event e = {};

	if (pid_target && (id >> 32) != pid_target)
		return 0;
	e.pid = id >> 32;
	bpf_get_current_comm(&e.comm, sizeof(e.comm));
	/* Read now: by the time the call returns the caller may have reused the buffer. */
	bpf_probe_read_user_str(&e.filename, sizeof(e.filename), pathname);
	bpf_map_update_elem(&inflight, &tid, &e, BPF_ANY);
	return 0;
}

SEC("kretprobe/__x64_sys_unlinkat")
int BPF_KRETPROBE(unlinkat_exit, long ret)
{
	u32 tid = (u32)bpf_get_current_pid_tgid();
	struct event *start = bpf_map_lookup_elem(&inflight, &tid);

	if (!start)
		return 0;
	struct event *e = bpf_ringbuf_reserve(&rb, sizeof(*e), 0);
	if (e) {
		__builtin_memcpy(e, start, sizeof(*e));
		e->ret = ret;
		bpf_ringbuf_submit(e, 0);
	}
	bpf_map_delete_elem(&inflight, &tid);
	return 0;
}

/// @brief Trace unlinkat() with a kprobe and a kretprobe.
/// @details One event per finished call on x86-64: who removed which path, and the result (0 or a
/// negative errno such as -2 for a missing file).
/// @version 0.1
char LICENSE[] SEC("license") = "Dual BSD/GPL";
