// SPDX-License-Identifier: GPL-2.0
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "mkdirguard.h"

#define EPERM 1
#define MAX_ERRNO 4095
#define DENIED_LEN 16

/// Refuse (EPERM) to create a directory with exactly this name, anywhere (empty: refuse nothing)
const volatile char denied_name[DENIED_LEN] = "";

/// Every mkdir seen, with the decision
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} rb SEC(".maps");

/* Whether `name` (NUL-terminated, NAME_LEN bytes) is exactly denied_name. */
static __always_inline bool is_denied(const char *name)
{
	if (!denied_name[0])
		return false;
	for (int i = 0; i < DENIED_LEN; i++) {
		if (name[i] != denied_name[i])
			return false;
		if (!name[i])
			return true;
	}
	/* denied_name fills its array without a NUL: the name must end right there. */
	return name[DENIED_LEN] == 0;
}

SEC("lsm/path_mkdir")
int BPF_PROG(guard_mkdir, const struct path *dir, struct dentry *dentry, umode_t mode, int ret)
{
	/*
	 * An earlier program on this hook already refused: keep its verdict. Newer kernels
	 * (6.12 here, not 6.1) check that an LSM program returns 0 or an errno, so the bounds
	 * are tested on the very register returned (out of range, which never happens, becomes
	 * EPERM). `prev` is 64-bit and the barriers stop clang from testing a fresh
	 * sign-extended copy instead.
	 */
	long prev = ret;
	barrier_var(prev);
	if (prev > 0)
		return -EPERM;
	barrier_var(prev);
	if (prev < -MAX_ERRNO)
		return -EPERM;
	if (prev)
		return prev;

	struct event *e = bpf_ringbuf_reserve(&rb, sizeof(*e), 0);
	char name[NAME_LEN] = {};

	bpf_probe_read_kernel_str(name, sizeof(name), BPF_CORE_READ(dentry, d_name.name));
	bool denied = is_denied(name);
	if (e) {
		e->pid = bpf_get_current_pid_tgid() >> 32;
		bpf_get_current_comm(&e->comm, sizeof(e->comm));
		__builtin_memcpy(e->name, name, sizeof(e->name));
		e->denied = denied;
		bpf_ringbuf_submit(e, 0);
	}
	/* Constant returns: the verifier's return-value check sees exactly -EPERM or 0. */
	if (denied) {
		barrier();
		return -EPERM;
	}
	return 0;
}

/// @brief Refuse to create directories of one name, with a BPF LSM program.
/// @details Reports every mkdir (process, new entry's name, whether it was refused). Needs a
/// kernel with CONFIG_BPF_LSM and "bpf" in its active LSMs (lsm= boot parameter).
/// @version 0.1
char LICENSE[] SEC("license") = "GPL";
