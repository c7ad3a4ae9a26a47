/* Perf-buffer guest: prints the exec of the command argv[1], then exits. */
#include <stdio.h>
#include <string.h>
#include "libbpf-wasm.h"
#include "execperf.wasm.h"
#include "execperf.bpf.inc"

static int found;
static const char *target;

static int on_event(void *ctx, void *data, size_t size)
{
	const struct exec_event *e = data;
	if (strncmp(e->comm, target, sizeof(e->comm)) == 0 && !found) {
		printf("exec pid=%d comm=%s size=%zu\n", e->pid, e->comm, size);
		found = 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	target = argc > 1 ? argv[1] : "";
	bpf_object_skel skel = wasm_load_bpf_object(execperf_bpf, execperf_bpf_len);
	if (!skel || wasm_attach_bpf_program(skel, "on_exec", NULL) < 0) {
		fprintf(stderr, "execperf: load/attach failed\n");
		return 1;
	}
	printf("ready\n");
	fflush(stdout);
	char buf[256];
	for (int i = 0; i < 200 && !found; i++)
		if (bpf_buffer_poll_by_name(skel, "events", on_event, NULL, buf, sizeof(buf), 50) < 0)
			return 1;
	wasm_close_bpf_object(skel);
	return found ? 0 : 3;
}
