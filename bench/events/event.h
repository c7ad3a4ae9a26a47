/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef BENCH_EVENTS_EVENT_H
#define BENCH_EVENTS_EVENT_H

/* One record per getpid(2) call of the generator: 64 bytes, four of them 64-bit integers. */
struct event {
	unsigned int pid;
	unsigned int tid;
	unsigned long long ts;
	char comm[16];
	unsigned long long seq;
	unsigned long long arg0;
	unsigned int cpu;
	unsigned int flags;
	unsigned long long extra;
};

#endif
