// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * getpid(2) generator: `gen N` prints its pid, then for each line on stdin (a number K, or
 * anything else for N) calls getpid K times as fast as it can and prints
 * {"calls","seconds","rate"} as one JSON line; it exits at end of input.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 1000000;
	char line[64];

	printf("%d\n", (int)getpid());
	fflush(stdout);
	while (fgets(line, sizeof(line), stdin)) {
		long k = atol(line) > 0 ? atol(line) : n;
		double t0 = now();
		for (long i = 0; i < k; i++)
			syscall(SYS_getpid);
		double s = now() - t0;
		printf("{\"calls\":%ld,\"seconds\":%.6f,\"rate\":%.0f}\n", k, s, k / s);
		fflush(stdout);
	}
	return 0;
}
