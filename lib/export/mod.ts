/**
 * Export: how events leave the kernel. Ring buffers and perf buffers are walked from JS over
 * their mmapped memory (no libbpf callback per event), sampled maps are read by key.
 *
 * ```ts
 * const rb = new RingBufferReader(obj.map("rb"), (bytes) => handle(bytes));
 * Deno.addSignalListener("SIGINT", () => rb.stop());
 * await rb.run();
 * await rb.close();
 * ```
 * @module
 */
export * from "./cpus.ts";
export * from "./epoll.ts";
export * from "./poll.ts";
export * from "./ring_buffer.ts";
export * from "./perf_buffer.ts";
export * from "./map_sampler.ts";
export * from "./map_handle.ts";
export * from "./stack_map.ts";
export * from "./map_syscalls.ts";
