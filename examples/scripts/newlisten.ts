#!/usr/bin/env -S ecli run
/**
 * Says when a process starts listening on a new TCP port (IPv4 or IPv6), and runs
 * $ON_LISTEN (if set) with the port, pid and command as arguments:
 *
 *   sudo ON_LISTEN=/usr/local/bin/notify ./newlisten.ts
 */
import process from "node:process";
import type { Handler } from "./newlisten.d.ts";

export const program = bpf`
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#define TCP_LISTEN 10

struct event {
	int pid;
	char comm[16];
	unsigned short port;
	unsigned short family;
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 16);
} events SEC(".maps");

SEC("tracepoint/sock/inet_sock_set_state")
int on_state(struct trace_event_raw_inet_sock_set_state *ctx)
{
	if (ctx->newstate != TCP_LISTEN || ctx->protocol != IPPROTO_TCP)
		return 0;
	struct event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e)
		return 0;
	e->pid = bpf_get_current_pid_tgid() >> 32;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	e->port = ctx->sport;
	e->family = ctx->family;
	bpf_ringbuf_submit(e, 0);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
`;

const notify = process.env.ON_LISTEN;

export default (async (e, ctx) => {
  const family = e.family === 10 ? "IPv6" : "IPv4";
  if (notify) await ctx.$`${notify} ${e.port} ${e.pid} ${e.comm}`;
  return `${e.comm} (pid ${e.pid}) listens on TCP port ${e.port} (${family})`;
}) satisfies Handler;
