// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The C reference consumer of the event-path benchmark: plain libbpf, as a C tool would read
 * a ring buffer.
 *
 *   consumer OBJECT.bpf.o drain|live PID N [RING_BYTES]
 *
 * Opens OBJECT, sets the rodata `target_pid` to PID (offset from the object's BTF), resizes
 * `rb` to RING_BYTES when given, loads, attaches, prints READY and then:
 * - drain: waits for a line on stdin (the generator has finished), then times one
 *   ring_buffer__consume() over everything that is waiting;
 * - live: ring_buffer__poll() until N events arrived, or the generator is done (`hits` reached
 *   N and a poll timed out), or SIGINT/SIGTERM.
 * The callback counts events, checks `seq` for gaps and reads a few fields. The last line on
 * stdout is JSON: events, seconds, cpu_seconds, hits, drops, gaps, max_rss_kb.
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/resource.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "event.h"

struct state {
	unsigned long long events;
	unsigned long long gaps;
	unsigned long long next_seq;
	unsigned long long touched;
};

static volatile sig_atomic_t stopping;

static void on_signal(int sig)
{
	(void)sig;
	stopping = 1;
}

static int quiet_log(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	return level == LIBBPF_WARN ? vfprintf(stderr, fmt, ap) : 0;
}

static void die(const char *what, int err)
{
	fprintf(stderr, "consumer: %s: %s\n", what, strerror(err < 0 ? -err : err));
	exit(1);
}

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

static double cpu_seconds(void)
{
	struct rusage u;

	getrusage(RUSAGE_SELF, &u);
	return u.ru_utime.tv_sec + u.ru_utime.tv_usec / 1e6 + u.ru_stime.tv_sec +
	       u.ru_stime.tv_usec / 1e6;
}

static long peak_rss_kb(void)
{
	char line[256];
	long kb = -1;
	FILE *f = fopen("/proc/self/status", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmHWM: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

/* Offset of variable `name` in data section `sec`, from the object's (fixed-up) BTF. */
static long var_offset(struct bpf_object *obj, const char *sec, const char *name)
{
	struct btf *btf = bpf_object__btf(obj);
	int id = btf ? btf__find_by_name_kind(btf, sec, BTF_KIND_DATASEC) : -1;

	if (id < 0)
		return -1;
	const struct btf_type *t = btf__type_by_id(btf, id);
	const struct btf_var_secinfo *v = btf_var_secinfos(t);
	for (int i = 0; i < btf_vlen(t); i++) {
		const struct btf_type *var = btf__type_by_id(btf, v[i].type);
		if (!strcmp(btf__name_by_offset(btf, var->name_off), name))
			return v[i].offset;
	}
	return -1;
}

static int on_event(void *ctx, void *data, size_t len)
{
	struct state *s = ctx;
	const struct event *e = data;

	if (len < sizeof(*e))
		return 0;
	if (e->seq != s->next_seq && e->seq > s->next_seq)
		s->gaps += e->seq - s->next_seq;
	s->next_seq = e->seq + 1;
	s->touched += e->pid + e->tid + e->cpu + (unsigned char)e->comm[0] + e->ts;
	s->events++;
	return 0;
}

struct counters {
	int fd;
	size_t size;
	long hits_off, drops_off;
	unsigned long long hits, drops;
};

static void read_counters(struct counters *c)
{
	unsigned char buf[c->size];
	unsigned int key = 0;

	if (bpf_map_lookup_elem(c->fd, &key, buf))
		die("read .bss", errno);
	memcpy(&c->hits, buf + c->hits_off, sizeof(c->hits));
	memcpy(&c->drops, buf + c->drops_off, sizeof(c->drops));
}

int main(int argc, char **argv)
{
	if (argc < 5) {
		fprintf(stderr, "usage: consumer OBJECT.bpf.o drain|live PID N [RING_BYTES]\n");
		return 2;
	}
	const char *path = argv[1];
	int drain = !strcmp(argv[2], "drain");
	unsigned int pid = strtoul(argv[3], NULL, 10);
	unsigned long long n = strtoull(argv[4], NULL, 10);
	unsigned long ring_bytes = argc > 5 ? strtoul(argv[5], NULL, 10) : 0;
	int err;

	libbpf_set_print(quiet_log);
	struct bpf_object *obj = bpf_object__open_file(path, NULL);
	if (!obj)
		die("open", errno);

	struct bpf_map *rodata = bpf_object__find_map_by_name(obj, ".rodata");
	long pid_off = var_offset(obj, ".rodata", "target_pid");
	if (!rodata || pid_off < 0)
		die("no .rodata target_pid", ENOENT);
	size_t size = 0;
	const void *initial = bpf_map__initial_value(rodata, &size);
	unsigned char *image = malloc(size);
	memcpy(image, initial, size);
	memcpy(image + pid_off, &pid, sizeof(pid));
	if ((err = bpf_map__set_initial_value(rodata, image, size)))
		die("set target_pid", err);
	free(image);

	struct bpf_map *ring = bpf_object__find_map_by_name(obj, "rb");
	if (!ring)
		die("no map rb", ENOENT);
	if (ring_bytes && (err = bpf_map__set_max_entries(ring, ring_bytes)))
		die("resize rb", err);
	if ((err = bpf_object__load(obj)))
		die("load", err);
	struct bpf_program *prog;
	bpf_object__for_each_program(prog, obj) {
		if (!bpf_program__attach(prog))
			die("attach", errno);
	}

	struct bpf_map *bss = bpf_object__find_map_by_name(obj, ".bss");
	struct counters c = {
		.fd = bss ? bpf_map__fd(bss) : -1,
		.size = bss ? bpf_map__value_size(bss) : 0,
		.hits_off = var_offset(obj, ".bss", "hits"),
		.drops_off = var_offset(obj, ".bss", "drops"),
	};
	if (c.fd < 0 || c.hits_off < 0 || c.drops_off < 0)
		die("no .bss hits/drops", ENOENT);

	struct state s = { 0 };
	struct ring_buffer *rb = ring_buffer__new(bpf_map__fd(ring), on_event, &s, NULL);
	if (!rb)
		die("ring_buffer__new", errno);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	printf("READY\n");
	fflush(stdout);

	double t0, t1, cpu0;
	if (drain) {
		char line[64];
		if (!fgets(line, sizeof(line), stdin))
			return 1;
		read_counters(&c);
		cpu0 = cpu_seconds();
		t0 = now();
		err = ring_buffer__consume(rb);
		t1 = now();
		if (err < 0)
			die("ring_buffer__consume", err);
	} else {
		cpu0 = cpu_seconds();
		t0 = now();
		while (!stopping && s.events < n) {
			err = ring_buffer__poll(rb, 100);
			if (err == -EINTR)
				continue;
			if (err < 0)
				die("ring_buffer__poll", err);
			if (err == 0) {
				read_counters(&c);
				if (c.hits >= n) {
					ring_buffer__consume(rb);
					break;
				}
			}
		}
		t1 = now();
		read_counters(&c);
	}
	double cpu = cpu_seconds() - cpu0;
	printf("{\"events\":%llu,\"seconds\":%.6f,\"cpu_seconds\":%.6f,\"hits\":%llu,"
	       "\"drops\":%llu,\"gaps\":%llu,\"max_rss_kb\":%ld,\"touched\":%llu}\n",
	       s.events, t1 - t0, cpu, c.hits, c.drops, s.gaps, peak_rss_kb(), s.touched & 1);
	ring_buffer__free(rb);
	bpf_object__close(obj);
	return 0;
}
