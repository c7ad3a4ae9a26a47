/* Perf-buffer guest: prints the exec of the command argv[1], then exits. It goes through the
 * skeleton and bpf_buffer API of libbpf-wasm.h, its skeleton written by hand the way
 * upstream's `bpftool gen skeleton -j` writes one. */
#include <stdio.h>
#include <string.h>
#include "libbpf-wasm.h"
#include "execperf.wasm.h"
#include "execperf.bpf.inc"

struct execperf_bpf {
	struct bpf_object_skeleton *skeleton;
	struct {
		struct bpf_map *events;
	} maps;
	struct {
		struct bpf_program *on_exec;
	} progs;
};

static struct execperf_bpf *execperf_bpf__open_and_load(void)
{
	struct execperf_bpf *obj = calloc(1, sizeof(*obj));
	struct bpf_object_skeleton *s = calloc(1, sizeof(*s));
	obj->skeleton = s;
	s->sz = sizeof(*s);
	s->name = "execperf_bpf";
	s->data = (void *)execperf_bpf;
	s->data_sz = execperf_bpf_len;
	s->map_cnt = 1;
	s->map_skel_sz = sizeof(*s->maps);
	s->maps = calloc(1, sizeof(*s->maps));
	s->maps[0].name = "events";
	s->maps[0].map = &obj->maps.events;
	s->prog_cnt = 1;
	s->prog_skel_sz = sizeof(*s->progs);
	s->progs = calloc(1, sizeof(*s->progs));
	s->progs[0].name = "on_exec";
	s->progs[0].prog = &obj->progs.on_exec;
	if (bpf_object__open_skeleton(s, NULL) || bpf_object__load_skeleton(s))
		return NULL;
	return obj;
}

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
	struct execperf_bpf *skel = execperf_bpf__open_and_load();
	if (!skel || bpf_object__attach_skeleton(skel->skeleton) < 0) {
		fprintf(stderr, "execperf: load/attach failed\n");
		return 1;
	}
	struct bpf_buffer *buf = bpf_buffer__open(skel->maps.events, on_event, NULL);
	printf("ready\n");
	fflush(stdout);
	for (int i = 0; i < 200 && !found; i++)
		if (bpf_buffer__poll(buf, 50) < 0)
			return 1;
	bpf_buffer__free(buf);
	bpf_object__destroy_skeleton(skel->skeleton);
	return found ? 0 : 3;
}
