/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef PROCSNOOP_H
#define PROCSNOOP_H

#define COMM_LEN 16
#define PATH_LEN 127

/* One record per exec and per exit, sent through the `rb` ring buffer. */
struct event {
	int pid;
	int ppid;
	unsigned int exit_code;
	unsigned long long duration_ns;
	char comm[COMM_LEN];
	char filename[PATH_LEN];
	bool exit_event;
};

#endif
