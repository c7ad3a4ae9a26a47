// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * wasm-bpf benchmark guest: `drain PID N` loads bench/events/events.bpf.c for PID, says
 * "ready", waits until the program has seen N calls (its .bss `hits`), then drains the ring
 * through its callback (which reads a field, as the TS handler does) and prints
 * {"records","seconds"} as one JSON line.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "libbpf-wasm.h"
#include "events.wasm.h"
#include "events.bpf.inc"

static long records;
static unsigned long long seq_sum;

static int on_event(void *ctx, void *data, size_t size)
{
	const struct event *e = data;
	seq_sum += e->seq;
	records++;
	return 0;
}

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	if (argc < 3)
		return 2;
	unsigned int pid = atoi(argv[1]);
	long n = atol(argv[2]);
	unsigned char *obj = malloc(events_bpf_len);
	memcpy(obj, events_bpf, events_bpf_len);
	memcpy(obj + events_bpf_rodata_offset, &pid, sizeof(pid));
	bpf_object_skel skel = wasm_load_bpf_object(obj, events_bpf_len);
	if (!skel || wasm_attach_bpf_program(skel, "bench_getpid", NULL) < 0) {
		fprintf(stderr, "drain: load/attach failed\n");
		return 1;
	}
	int bss = wasm_bpf_map_fd_by_name(skel, ".bss");
	int rb = wasm_bpf_map_fd_by_name(skel, "rb");
	printf("ready\n");
	fflush(stdout);
	unsigned long long counters[2] = { 0, 0 }; /* hits, drops */
	unsigned int zero = 0;
	while ((long)counters[0] < n) {
		usleep(10000);
		if (bpf_map_lookup_elem(bss, &zero, counters) < 0)
			return 1;
	}
	static char buf[256];
	double t0 = now();
	while (records < n - (long)counters[1])
		if (wasm_bpf_buffer_poll(skel, rb, (int32_t)(intptr_t)on_event, 0, buf, sizeof(buf), 100) < 0)
			return 1;
	double s = now() - t0;
	printf("{\"records\":%ld,\"seconds\":%.6f,\"seq_sum\":%llu}\n", records, s, seq_sum);
	wasm_close_bpf_object(skel);
	return 0;
}
