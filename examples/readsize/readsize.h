/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef READSIZE_H
#define READSIZE_H

#define MAX_SLOTS 32
#define COMM_LEN 16

/* Per-process log2 histogram of read() sizes; `slots` is what ecli draws. */
struct hist {
	unsigned int slots[MAX_SLOTS];
	char comm[COMM_LEN];
};

#endif
