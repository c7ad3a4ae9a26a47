# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""The BCC peer of the event-path benchmark: the same 64-byte event, written by a BCC program
into a ring buffer and read the way BCC's tools do (open_ring_buffer with a callback that
decodes via b["events"].event(data)), speaking consumer.c's protocol:

    peer_bcc.py drain|live PID N [RING_BYTES]

Prints READY once attached. drain: waits for a line on stdin, then ring_buffer_consume();
live: ring_buffer_poll() until N events or SIGINT. The last line on stdout is JSON: events,
seconds, cpu_seconds, gaps, max_rss_kb.
"""
import json
import resource
import signal
import sys
import time

from bcc import BPF

mode, pid, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
ring = int(sys.argv[4]) if len(sys.argv) > 4 else 16 << 20
pages = max(1, ring // resource.getpagesize())

PROGRAM = """
struct event {
    u32 pid;
    u32 tid;
    u64 ts;
    char comm[16];
    u64 seq;
    u64 arg0;
    u32 cpu;
    u32 flags;
    u64 extra;
};
BPF_RINGBUF_OUTPUT(events, PAGES);
BPF_ARRAY(hits, u64, 1);
TRACEPOINT_PROBE(syscalls, sys_enter_getpid) {
    u64 id = bpf_get_current_pid_tgid();
    if ((id >> 32) != TARGET_PID)
        return 0;
    int zero = 0;
    u64 *h = hits.lookup(&zero);
    if (!h)
        return 0;
    u64 seq = __sync_fetch_and_add(h, 1);
    struct event *e = events.ringbuf_reserve(sizeof(struct event));
    if (!e)
        return 0;
    e->pid = id >> 32;
    e->tid = (u32)id;
    e->ts = bpf_ktime_get_ns();
    bpf_get_current_comm(e->comm, sizeof(e->comm));
    e->seq = seq;
    e->arg0 = id;
    e->cpu = bpf_get_smp_processor_id();
    e->flags = (u32)seq & 0xff;
    e->extra = e->ts ^ seq;
    events.ringbuf_submit(e, 0);
    return 0;
}
"""

b = BPF(text=PROGRAM.replace("PAGES", str(pages)).replace("TARGET_PID", str(pid)))
state = {"events": 0, "gaps": 0, "next": 0, "touched": 0}


def on_event(ctx, data, size):
    e = b["events"].event(data)
    if e.seq > state["next"]:
        state["gaps"] += e.seq - state["next"]
    state["next"] = e.seq + 1
    state["touched"] += e.pid + e.tid + e.cpu + (e.comm[0] if e.comm else 0) + e.ts
    state["events"] += 1


b["events"].open_ring_buffer(on_event)
stopping = []
signal.signal(signal.SIGINT, lambda *_: stopping.append(1))
signal.signal(signal.SIGTERM, lambda *_: stopping.append(1))
print("READY", flush=True)
if mode == "drain":
    sys.stdin.readline()
cpu0 = time.process_time()
t0 = time.monotonic()
if mode == "drain":
    b.ring_buffer_consume()
else:
    while state["events"] < n and not stopping:
        b.ring_buffer_poll(100)
seconds = time.monotonic() - t0
print(json.dumps({
    "events": state["events"],
    "seconds": seconds,
    "cpu_seconds": time.process_time() - cpu0,
    "gaps": state["gaps"],
    "max_rss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
}), flush=True)
