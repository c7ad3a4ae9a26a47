/**
 * C structs passed to libbpf and the kernel, laid out by hand for the 64-bit Linux ABI
 * (offsets checked against the installed headers by `ffi_test.ts`). Each builder returns the
 * bytes to pass as a `buffer` argument; strings it points to are returned too, because they
 * must stay referenced until the call returns.
 * @module
 */
import { Epoll, Perf } from "./libc.ts";
import type { Memory } from "./types.ts";

const encoder = new TextEncoder();

/** `s` as a NUL-terminated UTF-8 C string. */
export function cString(s: string): Uint8Array {
  const bytes = encoder.encode(s);
  const out = new Uint8Array(bytes.length + 1);
  out.set(bytes);
  return out;
}

/** Fields of `struct bpf_object_open_opts` we set. */
export interface ObjectOpenOptions {
  /** Object name (libbpf copies it). */
  objectName?: string;
  /** Kernel BTF file for CO-RE (libbpf copies the path). */
  btfCustomPath?: string;
  /** Buffer for the kernel's verifier/BTF log; libbpf keeps it until load, so keep it alive. */
  kernelLog?: Uint8Array;
  /** `kernel_log_level`: 0 = log only on failure. */
  kernelLogLevel?: number;
}

/** `struct bpf_object_open_opts` (libbpf 1.1: 80 bytes) and the buffers it points to. */
export function objectOpenOpts(
  memory: Memory,
  o: ObjectOpenOptions,
): { opts: Uint8Array; keep: Uint8Array[] } {
  const opts = new Uint8Array(80);
  const v = new DataView(opts.buffer);
  const keep: Uint8Array[] = [];
  const ptr = (offset: number, buf: Uint8Array | undefined) => {
    if (!buf) return;
    keep.push(buf);
    v.setBigUint64(offset, memory.addressOf(buf), true);
  };
  v.setBigUint64(0, 80n, true); // sz
  ptr(8, o.objectName === undefined ? undefined : cString(o.objectName));
  ptr(48, o.btfCustomPath === undefined ? undefined : cString(o.btfCustomPath));
  if (o.kernelLog) {
    ptr(56, o.kernelLog);
    v.setBigUint64(64, BigInt(o.kernelLog.length), true);
    v.setUint32(72, o.kernelLogLevel ?? 0, true);
  }
  return { opts, keep };
}

/** `struct bpf_tc_hook` (24 bytes). */
export function tcHook(ifindex: number, attachPoint: number, parent = 0): Uint8Array {
  const b = new Uint8Array(24);
  const v = new DataView(b.buffer);
  v.setBigUint64(0, 24n, true);
  v.setInt32(8, ifindex, true);
  v.setUint32(12, attachPoint, true);
  v.setUint32(16, parent, true);
  return b;
}

/** `struct bpf_tc_opts` (32 bytes); detach wants prog_fd/flags/prog_id zero. */
export function tcOpts(o: { progFd?: number; handle: number; priority: number }): Uint8Array {
  const b = new Uint8Array(32);
  const v = new DataView(b.buffer);
  v.setBigUint64(0, 32n, true);
  v.setInt32(8, o.progFd ?? 0, true);
  v.setUint32(20, o.handle, true);
  v.setUint32(24, o.priority, true);
  return b;
}

/**
 * The head of `struct bpf_link_create_opts`: `sz` = 16 covers `flags` only, which libbpf (any
 * 1.x) accepts for every attach type, so XDP and tcx links work with Debian's 1.1.
 */
export function linkCreateOpts(flags = 0): Uint8Array {
  const b = new Uint8Array(16);
  const v = new DataView(b.buffer);
  v.setBigUint64(0, 16n, true);
  v.setUint32(8, flags, true);
  return b;
}

/** `struct bpf_xdp_attach_opts` (16 bytes). */
export function xdpAttachOpts(oldProgFd = 0): Uint8Array {
  const b = new Uint8Array(16);
  const v = new DataView(b.buffer);
  v.setBigUint64(0, 16n, true);
  v.setInt32(8, oldProgFd, true);
  return b;
}

/**
 * `struct perf_event_attr` for a BPF output event, as libbpf's perf buffer opens it: software
 * `BPF_OUTPUT`, raw samples, one wakeup per `wakeupEvents` samples.
 */
export function bpfOutputPerfAttr(wakeupEvents = 1): Uint8Array {
  const b = new Uint8Array(Perf.ATTR_SIZE);
  const v = new DataView(b.buffer);
  v.setUint32(0, Perf.TYPE_SOFTWARE, true); // type
  v.setUint32(4, Perf.ATTR_SIZE, true); // size
  v.setBigUint64(8, BigInt(Perf.COUNT_SW_BPF_OUTPUT), true); // config
  v.setBigUint64(16, 1n, true); // sample_period
  v.setBigUint64(24, BigInt(Perf.SAMPLE_RAW), true); // sample_type
  v.setUint32(48, wakeupEvents, true); // wakeup_events
  return b;
}

/** What a sampling perf event counts and how often it fires. */
export interface SamplingEvent {
  /** `PERF_TYPE_HARDWARE` or `PERF_TYPE_SOFTWARE`. */
  type: number;
  /** The event within the type (`PERF_COUNT_SW_CPU_CLOCK`, `PERF_COUNT_HW_CPU_CYCLES`). */
  config: number;
  /** Samples per second; exclusive with `period`. */
  freq?: number;
  /** One sample every `period` events (ns for cpu-clock). */
  period?: number;
}

/** `struct perf_event_attr` of a sampling event for a `perf_event` BPF program. */
export function samplingPerfAttr(e: SamplingEvent): Uint8Array {
  const b = new Uint8Array(Perf.ATTR_SIZE);
  const v = new DataView(b.buffer);
  v.setUint32(0, e.type, true);
  v.setUint32(4, Perf.ATTR_SIZE, true);
  v.setBigUint64(8, BigInt(e.config), true);
  v.setBigUint64(16, BigInt(e.freq ?? e.period ?? 0), true); // sample_freq / sample_period
  v.setBigUint64(40, BigInt(e.freq !== undefined ? Perf.ATTR_FLAG_FREQ : 0), true);
  return b;
}

/**
 * `struct bpf_uprobe_opts` up to `func_name` (40 bytes; libbpf 1.2 appends `attach_mode`,
 * and `sz` tells it we do not set it). `funcName` must stay alive through the call.
 */
export function uprobeOpts(
  memory: Memory,
  retprobe: boolean,
  funcName?: Uint8Array,
): Uint8Array {
  const b = new Uint8Array(40);
  const v = new DataView(b.buffer);
  v.setBigUint64(0, 40n, true);
  v.setUint8(24, retprobe ? 1 : 0);
  if (funcName) v.setBigUint64(32, memory.addressOf(funcName), true);
  return b;
}

/** `struct epoll_event` with `events` and a 64-bit `data` tag. */
export function epollEvent(events: number, data: number): Uint8Array {
  const b = new Uint8Array(Epoll.EVENT_SIZE);
  const v = new DataView(b.buffer);
  v.setUint32(0, events, true);
  v.setBigUint64(Epoll.DATA_OFFSET, BigInt(data), true);
  return b;
}
