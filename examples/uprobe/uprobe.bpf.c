// SPDX-License-Identifier: GPL-2.0
/* Prints each call of a user-space function with its first two integer arguments. The
 * function is chosen when the package runs, not when it is built:
 *   ecli run package.json --attach handle_call=/path/bin:function [--pid PID] */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "uprobe.h"

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} calls SEC(".maps");

SEC("uprobe")
int BPF_KPROBE(handle_call, long arg0, long arg1)
{
	struct call *c = bpf_ringbuf_reserve(&calls, sizeof(*c), 0);

	if (!c)
		return 0;
	c->pid = bpf_get_current_pid_tgid() >> 32;
	bpf_get_current_comm(&c->comm, sizeof(c->comm));
	c->arg0 = arg0;
	c->arg1 = arg1;
	bpf_ringbuf_submit(c, 0);
	return 0;
}

/// Print calls of a function given at run time, with two arguments.
char LICENSE[] SEC("license") = "GPL";
