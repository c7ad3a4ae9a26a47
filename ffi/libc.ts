/**
 * The libc functions we call (glibc, `libc.so.6`), as a runtime-neutral symbol table, plus the
 * constants that go with them (x86-64 and arm64 Linux values).
 * @module
 */
import process from "node:process";
import type { Bound, SymbolTable } from "./types.ts";

/** libc symbols, by C name or alias. */
export const LIBC_SYMBOLS = {
  mmap: {
    parameters: ["pointer", "usize", "i32", "i32", "i32", "i64"],
    result: "pointer",
  },
  munmap: { parameters: ["pointer", "usize"], result: "i32" },
  close: { parameters: ["i32"], result: "i32" },
  read: { parameters: ["i32", "buffer", "usize"], result: "isize" },
  write: { parameters: ["i32", "buffer", "usize"], result: "isize" },
  eventfd: { parameters: ["u32", "i32"], result: "i32" },
  ioctl: { parameters: ["i32", "u64", "u64"], result: "i32" },
  getpagesize: { parameters: [], result: "i32" },
  if_nametoindex: { parameters: ["buffer"], result: "u32" },
  epoll_create1: { parameters: ["i32"], result: "i32" },
  epoll_ctl: { parameters: ["i32", "i32", "i32", "buffer"], result: "i32" },
  epoll_wait: { parameters: ["i32", "buffer", "i32", "i32"], result: "i32" },
  /** `epoll_wait` on a worker thread: the JS event loop stays free while it waits. */
  epoll_wait_async: {
    name: "epoll_wait",
    parameters: ["i32", "buffer", "i32", "i32"],
    result: "i32",
    nonblocking: true,
  },
  /**
   * `syscall(SYS_perf_event_open, attr, pid, cpu, group_fd, flags)`. `syscall` is variadic;
   * binding it with fixed integer/pointer parameters is fine on the x86-64 and arm64 ABIs.
   */
  perf_event_open: {
    name: "syscall",
    parameters: ["i64", "buffer", "i32", "i32", "i32", "u64"],
    result: "i64",
  },
} as const satisfies SymbolTable;

/** libc symbols only a backend uses (errno, libbpf's print formatting, the process lock). */
export const LIBC_BACKEND_SYMBOLS = {
  __errno_location: { parameters: [], result: "pointer" },
  vasprintf: { parameters: ["buffer", "pointer", "pointer"], result: "i32" },
  free: { parameters: ["pointer"], result: "void" },
  getenv: { parameters: ["buffer"], result: "pointer" },
  setenv: { parameters: ["buffer", "buffer", "i32"], result: "i32" },
  pthread_mutex_lock: { parameters: ["pointer"], result: "i32" },
  pthread_mutex_unlock: { parameters: ["pointer"], result: "i32" },
} as const satisfies SymbolTable;

/**
 * libc symbols that load a shared library from memory (`ffi/library.ts`): glibc ≥ 2.34 has
 * dlopen in libc itself.
 */
export const LIBC_LOADER_SYMBOLS = {
  memfd_create: { parameters: ["buffer", "u32"], result: "i32" },
  write: { parameters: ["i32", "buffer", "usize"], result: "isize" },
  dlopen: { parameters: ["buffer", "i32"], result: "pointer" },
  dlerror: { parameters: [], result: "pointer" },
} as const satisfies SymbolTable;

/** The bound loader functions of libc. */
export type LibcLoader = Bound<typeof LIBC_LOADER_SYMBOLS>;

/** The bound libc functions (`epoll_wait_async` may be missing on a runtime without it). */
export type Libc =
  & Omit<Bound<typeof LIBC_SYMBOLS>, "epoll_wait_async">
  & Partial<Pick<Bound<typeof LIBC_SYMBOLS>, "epoll_wait_async">>;

/** errno values used by name. */
export const Errno = {
  EPERM: 1,
  ENOENT: 2,
  EINTR: 4,
  E2BIG: 7,
  EBADF: 9,
  EAGAIN: 11,
  ENOMEM: 12,
  EACCES: 13,
  EBUSY: 16,
  EEXIST: 17,
  ENODEV: 19,
  EINVAL: 22,
  ENOSPC: 28,
  ENOTSUP: 95,
  EOPNOTSUPP: 95,
} as const;

/** mmap protection and flags. */
export const Mmap = {
  PROT_READ: 1,
  PROT_WRITE: 2,
  MAP_SHARED: 1,
  MAP_PRIVATE: 2,
  MAP_ANONYMOUS: 0x20,
  /** `MAP_FAILED`, `(void *)-1`. */
  FAILED: 0xffff_ffff_ffff_ffffn,
} as const;

/** eventfd flags. */
export const EventFd = { CLOEXEC: 0o2000000, NONBLOCK: 0o4000 } as const;

/** epoll constants. */
export const Epoll = {
  CLOEXEC: 0o2000000,
  CTL_ADD: 1,
  CTL_DEL: 2,
  EPOLLIN: 1,
  /** `sizeof(struct epoll_event)`: packed (12 bytes) on x86-64, 16 elsewhere. */
  EVENT_SIZE: process.arch === "x64" ? 12 : 16,
  /** Offset of `data` in `struct epoll_event`. */
  DATA_OFFSET: process.arch === "x64" ? 4 : 8,
} as const;

/** perf_event constants (`linux/perf_event.h`). */
export const Perf = {
  TYPE_HARDWARE: 0,
  TYPE_SOFTWARE: 1,
  COUNT_HW_CPU_CYCLES: 0,
  COUNT_SW_CPU_CLOCK: 0,
  /** `perf_event_attr.freq`: `sample_period` is a frequency in Hz. */
  ATTR_FLAG_FREQ: 1 << 10,
  COUNT_SW_BPF_OUTPUT: 10,
  SAMPLE_RAW: 1 << 10,
  FLAG_FD_CLOEXEC: 8,
  IOC_ENABLE: 0x2400,
  IOC_DISABLE: 0x2401,
  RECORD_LOST: 2,
  RECORD_SAMPLE: 9,
  /** `sizeof(struct perf_event_attr)` as Debian 12's headers have it (PERF_ATTR_SIZE_VER7). */
  ATTR_SIZE: 128,
  /** Offsets in `struct perf_event_mmap_page`. */
  PAGE_DATA_HEAD: 1024,
  PAGE_DATA_TAIL: 1032,
  /** `SYS_perf_event_open` for this architecture. */
  SYSCALL: process.arch === "arm64" ? 241 : 298,
} as const;
