// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "writehist.h"

/* Only writes of this command are counted (set by the guest in .rodata before load). */
const volatile char target_comm[16] = {};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, struct slot_key);
	__type(value, u64);
} hist SEC(".maps");

SEC("tp/syscalls/sys_enter_write")
int count_write(struct trace_event_raw_sys_enter *ctx)
{
	char comm[16];
	bpf_get_current_comm(comm, sizeof(comm));
	for (int i = 0; i < 16; i++) {
		if (comm[i] != target_comm[i])
			return 0;
		if (!comm[i])
			break;
	}
	u64 n = ctx->args[2];
	struct slot_key k = { 0 };
	while (n > 1 && k.slot < 63) {
		n >>= 1;
		k.slot++;
	}
	u64 one = 1, *v = bpf_map_lookup_elem(&hist, &k);
	if (v)
		__sync_fetch_and_add(v, 1);
	else
		bpf_map_update_elem(&hist, &k, &one, BPF_NOEXIST);
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
