/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef MKDIRGUARD_H
#define MKDIRGUARD_H

#define COMM_LEN 16
#define NAME_LEN 64

/* One record per mkdir the LSM hook decided on, sent through the `rb` ring buffer. */
struct event {
	int pid;
	char comm[COMM_LEN];
	char name[NAME_LEN];
	bool denied;
};

#endif
