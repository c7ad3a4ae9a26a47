/* A hash map with one key per getpid(2) call of --target_pid (keys 0, 1, 2, ...): as many
 * series as calls, for the series-cap test and the metrics benchmark. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

const volatile int target_pid = 0;
unsigned int next_key = 0;

/// Calls per sequence number
/// @sample {"interval": 300}
/// @metric counter
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, unsigned int);
	__type(value, unsigned long long);
} calls SEC(".maps");

SEC("tracepoint/syscalls/sys_enter_getpid")
int on_getpid(void *ctx)
{
	unsigned long long one = 1;
	unsigned int k;

	if ((bpf_get_current_pid_tgid() >> 32) != target_pid)
		return 0;
	k = next_key++; /* one generator thread: no race to guard */
	bpf_map_update_elem(&calls, &k, &one, BPF_ANY);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
