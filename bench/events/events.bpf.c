// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Event-path benchmark: one 64-byte ring-buffer record per getpid(2) call of one process,
 * submitted with the kernel's default wakeup policy. `hits` counts calls seen, `drops` the
 * records the ring had no room for; `seq` numbers records so consumers can spot gaps.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "event.h"

/// Record getpid calls of this process only (the generator's pid)
const volatile __u32 target_pid = 0;

/* The drain rows of the real CLI build a package with a ring that holds every record. */
#ifndef RB_BYTES
#define RB_BYTES (16 << 20)
#endif

/// Events, 16 MiB (the drain benchmark resizes it, or builds with -DRB_BYTES, to hold all)
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, RB_BYTES);
} rb SEC(".maps");

__u64 hits = 0;
__u64 drops = 0;

SEC("tracepoint/syscalls/sys_enter_getpid")
int bench_getpid(void *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();

	if ((id >> 32) != target_pid)
		return 0;
	__u64 seq = __sync_fetch_and_add(&hits, 1);
	struct event *e = bpf_ringbuf_reserve(&rb, sizeof(*e), 0);
	if (!e) {
		__sync_fetch_and_add(&drops, 1);
		return 0;
	}
	e->pid = id >> 32;
	e->tid = (__u32)id;
	e->ts = bpf_ktime_get_ns();
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	e->seq = seq;
	e->arg0 = id;
	e->cpu = bpf_get_smp_processor_id();
	e->flags = (__u32)seq & 0xff;
	e->extra = e->ts ^ seq;
	bpf_ringbuf_submit(e, 0);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
