/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef OPENSNOOP_H
#define OPENSNOOP_H

#define COMM_LEN 16
#define PATH_LEN 255

/* One record per completed open()/openat(), sent through the `events` perf buffer. */
struct event {
	unsigned long long ts;
	int pid;
	int uid;
	int ret;
	int flags;
	char comm[COMM_LEN];
	char fname[PATH_LEN];
};

#endif
