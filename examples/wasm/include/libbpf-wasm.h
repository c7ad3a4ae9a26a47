/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The guest side of the wasm-bpf host ABI (import module "wasm_bpf"), written for ecli-ts with
 * the names and signatures of upstream's guest SDK, so guests built against either run on
 * either host. Build a guest with:
 *   clang-14 --target=wasm32-wasi -O2 -Wl,--allow-undefined,--export-table -o g.wasm g.c
 * (--export-table: buffer callbacks are indices into the exported function table).
 *
 * Every pointer is an address in the guest's own memory; the host checks each one and a bad
 * one fails that call with -EFAULT. Errors are negative errno values.
 */
#ifndef LIBBPF_WASM_H
#define LIBBPF_WASM_H

#include <stddef.h>
#include <stdint.h>

#define WASM_BPF_IMPORT(name) __attribute__((import_module("wasm_bpf"), import_name(#name)))

/* A loaded BPF object: a non-zero handle, 0 when loading failed. */
typedef uint64_t bpf_object_skel;

/* Called once per ring/perf buffer record, with the record copied into `data`. */
typedef int (*bpf_buffer_sample_fn)(void *ctx, void *data, size_t size);

/* Loads (relocates against the host kernel's BTF) the BPF ELF object at obj_buf. */
WASM_BPF_IMPORT(wasm_load_bpf_object)
bpf_object_skel wasm_load_bpf_object(const void *obj_buf, int obj_buf_sz);

/* Detaches and unloads everything of the object. */
WASM_BPF_IMPORT(wasm_close_bpf_object)
int wasm_close_bpf_object(bpf_object_skel obj);

/* Attaches the program (function) `name`: by its section, or XDP on the interface `attach_target`. */
WASM_BPF_IMPORT(wasm_attach_bpf_program)
int wasm_attach_bpf_program(bpf_object_skel obj, const char *name, const char *attach_target);

/*
 * Waits up to timeout_ms for records of the ring or perf buffer map `fd` and calls
 * sample_func(ctx, data, size) for each, the record copied into data (max_size bytes at most;
 * size is the record's full length). Returns the number of records, or a negative errno.
 */
WASM_BPF_IMPORT(wasm_bpf_buffer_poll)
int wasm_bpf_buffer_poll(bpf_object_skel program, int fd, int32_t sample_func, uint32_t ctx,
			 char *data, int max_size, int timeout_ms);

/* The fd of the object's map `name`, or a negative errno. */
WASM_BPF_IMPORT(wasm_bpf_map_fd_by_name)
int wasm_bpf_map_fd_by_name(bpf_object_skel obj, const char *name);

/* One bpf(2) map command (enum bpf_cmd below) on a map fd of one of the guest's objects. */
WASM_BPF_IMPORT(wasm_bpf_map_operate)
int wasm_bpf_map_operate(int fd, int cmd, void *key, void *value, void *next_key, uint64_t flags);

enum bpf_cmd {
	BPF_MAP_CREATE,
	BPF_MAP_LOOKUP_ELEM,
	BPF_MAP_UPDATE_ELEM,
	BPF_MAP_DELETE_ELEM,
	BPF_MAP_GET_NEXT_KEY,
};

enum {
	BPF_ANY = 0,
	BPF_NOEXIST = 1,
	BPF_EXIST = 2,
	BPF_F_LOCK = 4,
};

static inline int bpf_map_update_elem(int fd, const void *key, const void *value, uint64_t flags)
{
	return wasm_bpf_map_operate(fd, BPF_MAP_UPDATE_ELEM, (void *)key, (void *)value, NULL, flags);
}

static inline int bpf_map_lookup_elem_flags(int fd, const void *key, void *value, uint64_t flags)
{
	return wasm_bpf_map_operate(fd, BPF_MAP_LOOKUP_ELEM, (void *)key, value, NULL, flags);
}

static inline int bpf_map_lookup_elem(int fd, const void *key, void *value)
{
	return bpf_map_lookup_elem_flags(fd, key, value, 0);
}

static inline int bpf_map_delete_elem_flags(int fd, const void *key, uint64_t flags)
{
	return wasm_bpf_map_operate(fd, BPF_MAP_DELETE_ELEM, (void *)key, NULL, NULL, flags);
}

static inline int bpf_map_delete_elem(int fd, const void *key)
{
	return bpf_map_delete_elem_flags(fd, key, 0);
}

/* key NULL: the first key (ecli-ts accepts that; upstream's hosts need a key not in the map). */
static inline int bpf_map_get_next_key(int fd, const void *key, void *next_key)
{
	return wasm_bpf_map_operate(fd, BPF_MAP_GET_NEXT_KEY, (void *)key, NULL, next_key, 0);
}

/* Polls a buffer map by name with a callback, as upstream's bpf_buffer__poll does. */
static inline int bpf_buffer_poll_by_name(bpf_object_skel obj, const char *map,
					  bpf_buffer_sample_fn fn, void *ctx, void *buf,
					  int buf_size, int timeout_ms)
{
	int fd = wasm_bpf_map_fd_by_name(obj, map);
	if (fd < 0)
		return fd;
	return wasm_bpf_buffer_poll(obj, fd, (int32_t)(intptr_t)fn, (uint32_t)(uintptr_t)ctx,
				    buf, buf_size, timeout_ms);
}

#endif /* LIBBPF_WASM_H */
