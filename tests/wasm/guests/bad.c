/* Misbehaving guests, one per -D: OOB (out-of-bounds pointers), TRAP (traps with objects
 * loaded), CORRUPT (a corrupt BPF object), UNKNOWN (imports that no host has), SPIN (loads,
 * then loops without host calls until stopped), LOADED (loads, attaches, sleeps in polls),
 * SLEEP (loads, attaches, sleeps 30 s, then says so). */
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "libbpf-wasm.h"
#include "execperf.bpf.inc"

#define BAD ((void *)0xfffffff0u)

#ifdef UNKNOWN
__attribute__((import_module("env"), import_name("mystery"))) int mystery(void);
WASM_BPF_IMPORT(wasm_bpf_bogus) int wasm_bpf_bogus(int);
#endif

static int noop(void *ctx, void *data, size_t size) { return 0; }

int main(void)
{
#ifdef UNKNOWN
	return mystery() + wasm_bpf_bogus(1);
#endif
#ifdef CORRUPT
	static unsigned char junk[4096];
	memcpy(junk, execperf_bpf, 64); /* an ELF header, then nothing that makes sense */
	memset(junk + 64, 0xa5, sizeof(junk) - 64);
	bpf_object_skel bad = wasm_load_bpf_object(junk, sizeof(junk));
	fprintf(stderr, "corrupt: wasm_load_bpf_object returned %llu\n", (unsigned long long)bad);
	return bad ? 0 : 1;
#endif
	bpf_object_skel skel = wasm_load_bpf_object(execperf_bpf, execperf_bpf_len);
	if (!skel)
		return 4;
#ifdef OOB
	char buf[64];
	unsigned long long key = 0;
	printf("load=%llu name=%d attach=%d key=%d poll=%d cb=%d close_bad=%d\n",
	       (unsigned long long)wasm_load_bpf_object(BAD, 4096),
	       wasm_bpf_map_fd_by_name(skel, BAD),
	       wasm_attach_bpf_program(skel, "on_exec", BAD),
	       wasm_bpf_map_operate(wasm_bpf_map_fd_by_name(skel, "events"), BPF_MAP_LOOKUP_ELEM, BAD, buf, NULL, 0),
	       wasm_bpf_buffer_poll(skel, wasm_bpf_map_fd_by_name(skel, "events"), (int32_t)(intptr_t)noop, 0, BAD, 64, 0),
	       wasm_bpf_buffer_poll(skel, wasm_bpf_map_fd_by_name(skel, "events"), 999999, 0, buf, 64, 0),
	       wasm_close_bpf_object(skel + 100));
	(void)key;
	fprintf(stderr, "oob: every bad pointer was refused\n");
	return 1;
#endif
	if (wasm_attach_bpf_program(skel, "on_exec", NULL) < 0)
		return 5;
	printf("attached\n");
	fflush(stdout);
#ifdef TRAP
	__builtin_trap();
#endif
#ifdef SPIN
	for (volatile unsigned long i = 0;; i++)
		;
#endif
#ifdef SLEEP
	sleep(30);
	printf("slept\n");
#endif
#ifdef LOADED
	char buf[256];
	for (;;)
		bpf_buffer_poll_by_name(skel, "events", noop, NULL, buf, sizeof(buf), 100);
#endif
	return 0;
}
