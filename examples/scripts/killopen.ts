#!/usr/bin/env -S ecli run
/**
 * Kills (SIGKILL) every process that opens a forbidden file, and says who it was:
 *
 *   sudo ./killopen.ts --forbidden /etc/shadow
 *
 * The kernel reports only opens of that path; the handler kills through `ctx.$`.
 */
import type { Handler } from "./killopen.d.ts";

export const program = bpf`
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#define PATH_LEN 128

struct event {
	int pid;
	char comm[16];
	char path[PATH_LEN];
};

/// The path whose openers are killed
const volatile char forbidden[PATH_LEN] = "/etc/shadow";

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 16);
} events SEC(".maps");

SEC("tracepoint/syscalls/sys_enter_openat")
int on_openat(struct trace_event_raw_sys_enter *ctx)
{
	char path[PATH_LEN];
	if (bpf_probe_read_user_str(path, sizeof(path), (void *)ctx->args[1]) <= 0)
		return 0;
	for (int i = 0; i < PATH_LEN; i++) {
		if (path[i] != forbidden[i])
			return 0;
		if (!path[i])
			break;
	}
	struct event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e)
		return 0;
	e->pid = bpf_get_current_pid_tgid() >> 32;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	__builtin_memcpy(e->path, path, sizeof(path));
	bpf_ringbuf_submit(e, 0);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
`;

export default (async (e, ctx) => {
  const r = await ctx.$`kill -KILL ${e.pid}`;
  return `${r.code === 0 ? "killed" : "could not kill"} ${e.comm} (pid ${e.pid}): opened ${e.path}`;
}) satisfies Handler;
