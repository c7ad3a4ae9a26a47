/* Map-reading guest: counts write(2) sizes of argv[1] by log2 slot in a hash map, waits until
 * argv[2] writes were counted, prints the histogram, deletes every key and checks it is empty. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "libbpf-wasm.h"
#include "writehist.wasm.h"
#include "writehist.bpf.inc"

int main(int argc, char **argv)
{
	if (argc < 3)
		return 2;
	unsigned char *obj = malloc(writehist_bpf_len);
	memcpy(obj, writehist_bpf, writehist_bpf_len);
	strncpy((char *)obj + writehist_bpf_rodata_offset, argv[1], 15);
	bpf_object_skel skel = wasm_load_bpf_object(obj, writehist_bpf_len);
	if (!skel || wasm_attach_bpf_program(skel, "count_write", NULL) < 0) {
		fprintf(stderr, "writehist: load/attach failed\n");
		return 1;
	}
	int fd = wasm_bpf_map_fd_by_name(skel, "hist");
	printf("ready\n");
	fflush(stdout);
	long want = atol(argv[2]), total = 0;
	for (int tries = 0; tries < 200 && total < want; tries++) {
		usleep(50000);
		total = 0;
		struct slot_key k, next;
		unsigned long long v;
		int r = bpf_map_get_next_key(fd, NULL, &next);
		while (r == 0) {
			if (bpf_map_lookup_elem(fd, &next, &v) == 0)
				total += v;
			k = next;
			r = bpf_map_get_next_key(fd, &k, &next);
		}
	}
	for (unsigned int s = 0; s < 64; s++) {
		struct slot_key k = { s };
		unsigned long long v;
		if (bpf_map_lookup_elem(fd, &k, &v) == 0) {
			printf("slot %u [%llu, %llu): %llu\n", s, 1ULL << s, 2ULL << s, v);
			bpf_map_delete_elem(fd, &k);
		}
	}
	struct slot_key next;
	printf("after delete: get_next_key = %d\n", bpf_map_get_next_key(fd, NULL, &next));
	wasm_close_bpf_object(skel);
	return 0;
}
