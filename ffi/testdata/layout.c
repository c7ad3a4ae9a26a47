/* Prints the C layout of every struct and constant ffi/ writes by hand, as JSON. */
#include <stdio.h>
#include <stddef.h>
#include <errno.h>
#include <sys/mman.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <linux/perf_event.h>
#include <bpf/libbpf.h>

#define OFF(s, f) printf("\"%s.%s\": %zu,\n", #s, #f, offsetof(struct s, f))
#define SIZE(s) printf("\"sizeof %s\": %zu,\n", #s, sizeof(struct s))
#define CONST(c) printf("\"%s\": %ld,\n", #c, (long)(c))

int main(void)
{
	printf("{\n");
	SIZE(bpf_object_open_opts);
	OFF(bpf_object_open_opts, object_name);
	OFF(bpf_object_open_opts, btf_custom_path);
	OFF(bpf_object_open_opts, kernel_log_buf);
	OFF(bpf_object_open_opts, kernel_log_size);
	OFF(bpf_object_open_opts, kernel_log_level);
	SIZE(bpf_tc_hook);
	OFF(bpf_tc_hook, ifindex);
	OFF(bpf_tc_hook, attach_point);
	OFF(bpf_tc_hook, parent);
	SIZE(bpf_tc_opts);
	OFF(bpf_tc_opts, prog_fd);
	OFF(bpf_tc_opts, handle);
	OFF(bpf_tc_opts, priority);
	SIZE(bpf_xdp_attach_opts);
	OFF(bpf_xdp_attach_opts, old_prog_fd);
	OFF(bpf_uprobe_opts, retprobe);
	OFF(bpf_uprobe_opts, func_name);
	SIZE(perf_event_attr);
	OFF(perf_event_attr, size);
	OFF(perf_event_attr, config);
	OFF(perf_event_attr, sample_period);
	OFF(perf_event_attr, sample_type);
	OFF(perf_event_attr, wakeup_events);
	OFF(perf_event_mmap_page, data_head);
	OFF(perf_event_mmap_page, data_tail);
	SIZE(epoll_event);
	OFF(epoll_event, data);
	CONST(PERF_TYPE_SOFTWARE);
	CONST(PERF_TYPE_HARDWARE);
	CONST(PERF_COUNT_SW_CPU_CLOCK);
	CONST(PERF_COUNT_HW_CPU_CYCLES);
	CONST(PERF_COUNT_SW_BPF_OUTPUT);
	CONST(PERF_SAMPLE_RAW);
	CONST(PERF_FLAG_FD_CLOEXEC);
	CONST(PERF_EVENT_IOC_ENABLE);
	CONST(PERF_EVENT_IOC_DISABLE);
	CONST(PERF_RECORD_LOST);
	CONST(PERF_RECORD_SAMPLE);
	CONST(SYS_perf_event_open);
	CONST(EPOLL_CLOEXEC);
	CONST(EPOLL_CTL_ADD);
	CONST(EPOLLIN);
	CONST(MAP_SHARED);
	CONST(MAP_PRIVATE);
	CONST(MAP_ANONYMOUS);
	CONST(PROT_READ);
	CONST(PROT_WRITE);
	CONST(EEXIST);
	CONST(EOPNOTSUPP);
	CONST(ENOENT);
	CONST(EACCES);
	CONST(BPF_MAP_TYPE_RINGBUF);
	CONST(BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	CONST(BPF_MAP_TYPE_PERCPU_ARRAY);
	CONST(BPF_MAP_TYPE_LRU_PERCPU_HASH);
	CONST(BPF_TC_INGRESS);
	CONST(BPF_TC_EGRESS);
	CONST(LIBBPF_DEBUG);
	printf("\"end\": 0\n}\n");
	return 0;
}
