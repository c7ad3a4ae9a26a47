/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef EXECFILTER_H
#define EXECFILTER_H

#define COMM_LEN 16

/* One record per exec of a child of a watched parent. */
struct event {
	int pid;
	int ppid;
	char comm[COMM_LEN];
};

#endif
