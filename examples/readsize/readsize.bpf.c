// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "readsize.h"

/// Only count reads of processes with this command name (empty: every process)
const volatile char target_comm[COMM_LEN] = "";

/// @sample {"interval": 1000, "type": "log2_hist", "unit": "bytes"}
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, u32);
	__type(value, struct hist);
} hists SEC(".maps");

static __always_inline u32 log2_u64(u64 v)
{
	u32 r = 0;

	/* Unrolled binary search: the verifier accepts no unbounded loop. */
	if (v >> 32) { v >>= 32; r += 32; }
	if (v >> 16) { v >>= 16; r += 16; }
	if (v >> 8) { v >>= 8; r += 8; }
	if (v >> 4) { v >>= 4; r += 4; }
	if (v >> 2) { v >>= 2; r += 2; }
	if (v >> 1) { r += 1; }
	return r;
}

static __always_inline bool comm_matches(const char *comm)
{
	if (!target_comm[0])
		return true;
	for (int i = 0; i < COMM_LEN; i++) {
		if (comm[i] != target_comm[i])
			return false;
		if (!comm[i])
			return true;
	}
	return true;
}

SEC("tracepoint/syscalls/sys_exit_read")
int count_read(struct trace_event_raw_sys_exit *ctx)
{
	static const struct hist zero;
	char comm[COMM_LEN];
	long ret = ctx->ret;

	if (ret <= 0)
		return 0;
	bpf_get_current_comm(&comm, sizeof(comm));
	if (!comm_matches(comm))
		return 0;

	u32 tgid = bpf_get_current_pid_tgid() >> 32;
	struct hist *h = bpf_map_lookup_elem(&hists, &tgid);
	if (!h) {
		bpf_map_update_elem(&hists, &tgid, &zero, BPF_NOEXIST);
		h = bpf_map_lookup_elem(&hists, &tgid);
		if (!h)
			return 0;
		__builtin_memcpy(h->comm, comm, sizeof(comm));
	}
	u32 slot = log2_u64(ret);
	if (slot >= MAX_SLOTS)
		slot = MAX_SLOTS - 1;
	__sync_fetch_and_add(&h->slots[slot], 1);
	return 0;
}

/// @brief Histogram of read() sizes per process, printed every second.
char LICENSE[] SEC("license") = "Dual BSD/GPL";
