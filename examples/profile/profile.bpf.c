// SPDX-License-Identifier: GPL-2.0
/* Stack sampling profiler: like bpftrace's `profile:hz:99 { @[ustack, kstack] = count(); }`.
 * A perf_event program samples every CPU; each sample counts its (process, kernel stack, user
 * stack). ecli prints the symbolised stacks every second, or folded at exit with --folded. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "profile.h"

/// Only sample this process (0: every process)
const volatile unsigned int targ_pid = 0;

/* Stack addresses by stack id (bpf_get_stackid). */
struct {
	__uint(type, BPF_MAP_TYPE_STACK_TRACE);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, 127 * sizeof(__u64));
	__uint(max_entries, 16384);
} stacks SEC(".maps");

/// @sample {"interval": 1000}
/// @intepreter {"stack_trace": {"field_map": {"kstack": "kstack_id", "ustack": "ustack_id"}}}
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, struct stack_key);
	__type(value, __u64);
	__uint(max_entries, 16384);
} counts SEC(".maps");

/// @perf {"freq": 99}
SEC("perf_event")
int do_sample(struct bpf_perf_event_data *ctx)
{
	__u32 pid = bpf_get_current_pid_tgid() >> 32;
	struct stack_key key = {};
	__u64 one = 1, *n;

	if (pid == 0 || (targ_pid && pid != targ_pid))
		return 0;
	key.pid = pid;
	bpf_get_current_comm(&key.comm, sizeof(key.comm));
	key.kstack_id = bpf_get_stackid(ctx, &stacks, 0);
	key.ustack_id = bpf_get_stackid(ctx, &stacks, BPF_F_USER_STACK);
	n = bpf_map_lookup_elem(&counts, &key);
	if (n)
		__sync_fetch_and_add(n, 1);
	else
		bpf_map_update_elem(&counts, &key, &one, BPF_NOEXIST);
	return 0;
}

/// Sample stacks on every CPU and count them.
char LICENSE[] SEC("license") = "GPL";
