// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The reading end of the real CLI's drain rows: `count FIFO K...` reads FIFO (the consumer's
 * stdout) as fast as it can, prints "done" each time the line count reaches the next K (a
 * warm-up, then the timed drain), keeps reading so the writer never blocks, and prints
 * "total LINES" at end of input. A 1 MiB pipe buffer and
 * memchr keep it far cheaper than the consumer that it times.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char buf[1 << 20];

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: count FIFO LINES...\n");
		return 2;
	}
	int next = 2;
	long lines = 0;
	int fd = open(argv[1], O_RDONLY);

	if (fd < 0) {
		perror(argv[1]);
		return 1;
	}
	fcntl(fd, F_SETPIPE_SZ, 1 << 20); /* best effort: pipe-max-size may be lower */
	for (;;) {
		ssize_t r = read(fd, buf, sizeof(buf));

		if (r <= 0)
			break;
		for (char *p = buf, *end = buf + r; (p = memchr(p, '\n', end - p)); p++)
			lines++;
		for (; next < argc && lines >= atol(argv[next]); next++) {
			printf("done\n");
			fflush(stdout);
		}
	}
	printf("total %ld\n", lines);
	return 0;
}
