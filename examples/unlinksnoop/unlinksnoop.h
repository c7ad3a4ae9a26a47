/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef UNLINKSNOOP_H
#define UNLINKSNOOP_H

#define COMM_LEN 16
#define PATH_LEN 128

/* One record per finished unlinkat(), sent through the `rb` ring buffer. */
struct event {
	int pid;
	int ret;
	char comm[COMM_LEN];
	char filename[PATH_LEN];
};

#endif
