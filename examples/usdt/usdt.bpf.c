// SPDX-License-Identifier: GPL-2.0
/* Prints each hit of a USDT probe (DTRACE_PROBE2 / STAP_PROBE2 in C, or any `.note.stapsdt`
 * probe) with its first two arguments, decoded by libbpf's USDT argument specs. The probe is
 * chosen when the package runs:
 *   ecli run package.json --attach handle_hit=/path/bin:provider:probe [--pid PID] */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/usdt.bpf.h>
#include "usdt.h"

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} hits SEC(".maps");

SEC("usdt")
int BPF_USDT(handle_hit, long arg0, long arg1)
{
	struct hit *h = bpf_ringbuf_reserve(&hits, sizeof(*h), 0);

	if (!h)
		return 0;
	h->pid = bpf_get_current_pid_tgid() >> 32;
	bpf_get_current_comm(&h->comm, sizeof(h->comm));
	h->arg0 = arg0;
	h->arg1 = arg1;
	bpf_ringbuf_submit(h, 0);
	return 0;
}

/// Print hits of a USDT probe given at run time, with two arguments.
char LICENSE[] SEC("license") = "GPL";
