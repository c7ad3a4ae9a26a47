// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * bootstrap: a wasm-bpf guest that traces process exec and exit (the BPF side is
 * examples/procsnoop/procsnoop.bpf.c) and prints one line per event.
 *   ecli run bootstrap.wasm [-d MIN_DURATION_MS] [-c COUNT] [-t SECONDS]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "libbpf-wasm.h"
#include "procsnoop.wasm.h" /* ecc -w: struct event as the BPF side lays it out */
#include "procsnoop.bpf.inc" /* the BPF object as bytes: procsnoop_bpf[], _len, _rodata_offset */

static long events, max_events;

static int handle_event(void *ctx, void *data, size_t size)
{
	const struct event *e = data;
	char ts[16];
	time_t t = time(NULL);
	strftime(ts, sizeof(ts), "%H:%M:%S", gmtime(&t));
	if (e->exit_event)
		printf("%-8s EXIT  %-16s %-7d %-7d [%u] (%llums)\n", ts, e->comm, e->pid, e->ppid,
		       e->exit_code, (unsigned long long)e->duration_ns / 1000000);
	else
		printf("%-8s EXEC  %-16s %-7d %-7d %s\n", ts, e->comm, e->pid, e->ppid, e->filename);
	events++;
	return 0;
}

int main(int argc, char **argv)
{
	unsigned long long min_duration_ms = 0;
	long seconds = 0;
	int opt;
	while ((opt = getopt(argc, argv, "d:c:t:")) != -1) {
		if (opt == 'd') min_duration_ms = strtoull(optarg, NULL, 10);
		else if (opt == 'c') max_events = strtol(optarg, NULL, 10);
		else if (opt == 't') seconds = strtol(optarg, NULL, 10);
		else {
			fprintf(stderr, "usage: %s [-d MIN_DURATION_MS] [-c COUNT] [-t SECONDS]\n", argv[0]);
			return 2;
		}
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	/* The object's .rodata lies in these bytes: set min_duration_ns (its only variable)
	 * before load, as upstream's skeleton does. */
	unsigned char *obj = malloc(procsnoop_bpf_len);
	memcpy(obj, procsnoop_bpf, procsnoop_bpf_len);
	unsigned long long ns = min_duration_ms * 1000000ULL;
	memcpy(obj + procsnoop_bpf_rodata_offset, &ns, sizeof(ns));

	bpf_object_skel skel = wasm_load_bpf_object(obj, procsnoop_bpf_len);
	if (!skel) {
		fprintf(stderr, "bootstrap: failed to load the BPF object\n");
		return 1;
	}
	if (wasm_attach_bpf_program(skel, "handle_exec", NULL) < 0 ||
	    wasm_attach_bpf_program(skel, "handle_exit", NULL) < 0) {
		fprintf(stderr, "bootstrap: failed to attach\n");
		wasm_close_bpf_object(skel);
		return 1;
	}
	printf("%-8s %-5s %-16s %-7s %-7s %s\n", "TIME", "EVENT", "COMM", "PID", "PPID",
	       "FILENAME/EXIT CODE");
	char buf[4096];
	time_t end = seconds ? time(NULL) + seconds : 0;
	while (!max_events || events < max_events) {
		int n = bpf_buffer_poll_by_name(skel, "rb", handle_event, NULL, buf, sizeof(buf), 100);
		if (n < 0) {
			fprintf(stderr, "bootstrap: poll failed: %d\n", n);
			break;
		}
		if (end && time(NULL) >= end) break;
	}
	wasm_close_bpf_object(skel);
	return 0;
}
