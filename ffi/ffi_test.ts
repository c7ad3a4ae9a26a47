import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { compileBpf, IN_CI } from "../tests/support/clang.ts";
import {
  bpfOutputPerfAttr,
  cString,
  Epoll,
  epollEvent,
  Errno,
  ffi,
  LibbpfLevel,
  MapType,
  Mmap,
  objectOpenOpts,
  Perf,
  TcAttachPoint,
  tcHook,
  tcOpts,
  uprobeOpts,
  xdpAttachOpts,
} from "./mod.ts";

const hasClang = spawnSync("clang", ["--version"]).status === 0;

/** The C layout of the structs and constants we write by hand (testdata/layout.c). */
function cLayout(): Record<string, number> {
  const dir = mkdtempSync(join(tmpdir(), "ffi-layout-"));
  try {
    const exe = join(dir, "layout");
    const src = new URL("./testdata/layout.c", import.meta.url).pathname;
    const cc = spawnSync("clang", ["-O0", "-o", exe, src], { encoding: "utf8" });
    assert.equal(cc.status, 0, cc.stderr);
    return JSON.parse(spawnSync(exe, { encoding: "utf8" }).stdout);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const u32 = (b: Uint8Array, off: number) => new DataView(b.buffer).getUint32(off, true);
const u64 = (b: Uint8Array, off: number) => new DataView(b.buffer).getBigUint64(off, true);

Deno.test({
  name: "structs and constants match the C headers",
  ignore: !hasClang && !IN_CI,
  fn() {
    const c = cLayout();
    const { memory } = ffi();
    const log = new Uint8Array(16);
    const { opts } = objectOpenOpts(memory, {
      objectName: "x",
      btfCustomPath: "/b",
      kernelLog: log,
      kernelLogLevel: 3,
    });
    assert.equal(opts.length, c["sizeof bpf_object_open_opts"]);
    assert.equal(u64(opts, 0), BigInt(opts.length));
    assert.notEqual(u64(opts, c["bpf_object_open_opts.object_name"]), 0n);
    assert.notEqual(u64(opts, c["bpf_object_open_opts.btf_custom_path"]), 0n);
    assert.equal(u64(opts, c["bpf_object_open_opts.kernel_log_buf"]), memory.addressOf(log));
    assert.equal(u64(opts, c["bpf_object_open_opts.kernel_log_size"]), 16n);
    assert.equal(u32(opts, c["bpf_object_open_opts.kernel_log_level"]), 3);

    const hook = tcHook(5, TcAttachPoint.EGRESS, 9);
    assert.equal(hook.length, c["sizeof bpf_tc_hook"]);
    assert.equal(u32(hook, c["bpf_tc_hook.ifindex"]), 5);
    assert.equal(u32(hook, c["bpf_tc_hook.attach_point"]), c.BPF_TC_EGRESS);
    assert.equal(u32(hook, c["bpf_tc_hook.parent"]), 9);
    const tco = tcOpts({ progFd: 4, handle: 7, priority: 3 });
    assert.equal(tco.length, c["sizeof bpf_tc_opts"]);
    assert.equal(u32(tco, c["bpf_tc_opts.prog_fd"]), 4);
    assert.equal(u32(tco, c["bpf_tc_opts.handle"]), 7);
    assert.equal(u32(tco, c["bpf_tc_opts.priority"]), 3);
    const xdp = xdpAttachOpts(6);
    assert.equal(xdp.length, c["sizeof bpf_xdp_attach_opts"]);
    assert.equal(u32(xdp, c["bpf_xdp_attach_opts.old_prog_fd"]), 6);

    const fn = new Uint8Array(4);
    const up = uprobeOpts(memory, true, fn);
    assert.equal(up[c["bpf_uprobe_opts.retprobe"]], 1);
    assert.equal(u64(up, c["bpf_uprobe_opts.func_name"]), memory.addressOf(fn));

    const attr = bpfOutputPerfAttr(1);
    assert.equal(attr.length, c["sizeof perf_event_attr"]);
    assert.equal(u32(attr, c["perf_event_attr.size"]), attr.length);
    assert.equal(u64(attr, c["perf_event_attr.config"]), BigInt(c.PERF_COUNT_SW_BPF_OUTPUT));
    assert.equal(u64(attr, c["perf_event_attr.sample_period"]), 1n);
    assert.equal(u64(attr, c["perf_event_attr.sample_type"]), BigInt(c.PERF_SAMPLE_RAW));
    assert.equal(u32(attr, c["perf_event_attr.wakeup_events"]), 1);
    assert.equal(Perf.PAGE_DATA_HEAD, c["perf_event_mmap_page.data_head"]);
    assert.equal(Perf.PAGE_DATA_TAIL, c["perf_event_mmap_page.data_tail"]);

    const ev = epollEvent(Epoll.EPOLLIN, 42);
    assert.equal(ev.length, c["sizeof epoll_event"]);
    assert.equal(u64(ev, c["epoll_event.data"]), 42n);

    const expect: [number, string][] = [
      [Perf.TYPE_SOFTWARE, "PERF_TYPE_SOFTWARE"],
      [Perf.TYPE_HARDWARE, "PERF_TYPE_HARDWARE"],
      [Perf.COUNT_SW_CPU_CLOCK, "PERF_COUNT_SW_CPU_CLOCK"],
      [Perf.COUNT_HW_CPU_CYCLES, "PERF_COUNT_HW_CPU_CYCLES"],
      [Perf.FLAG_FD_CLOEXEC, "PERF_FLAG_FD_CLOEXEC"],
      [Perf.IOC_ENABLE, "PERF_EVENT_IOC_ENABLE"],
      [Perf.IOC_DISABLE, "PERF_EVENT_IOC_DISABLE"],
      [Perf.RECORD_LOST, "PERF_RECORD_LOST"],
      [Perf.RECORD_SAMPLE, "PERF_RECORD_SAMPLE"],
      [Perf.SYSCALL, "SYS_perf_event_open"],
      [Epoll.CLOEXEC, "EPOLL_CLOEXEC"],
      [Epoll.CTL_ADD, "EPOLL_CTL_ADD"],
      [Epoll.EPOLLIN, "EPOLLIN"],
      [Mmap.MAP_SHARED, "MAP_SHARED"],
      [Mmap.MAP_PRIVATE, "MAP_PRIVATE"],
      [Mmap.MAP_ANONYMOUS, "MAP_ANONYMOUS"],
      [Mmap.PROT_READ, "PROT_READ"],
      [Mmap.PROT_WRITE, "PROT_WRITE"],
      [Errno.EEXIST, "EEXIST"],
      [Errno.EOPNOTSUPP, "EOPNOTSUPP"],
      [Errno.ENOENT, "ENOENT"],
      [Errno.EACCES, "EACCES"],
      [MapType.RINGBUF, "BPF_MAP_TYPE_RINGBUF"],
      [MapType.PERF_EVENT_ARRAY, "BPF_MAP_TYPE_PERF_EVENT_ARRAY"],
      [MapType.PERCPU_ARRAY, "BPF_MAP_TYPE_PERCPU_ARRAY"],
      [MapType.LRU_PERCPU_HASH, "BPF_MAP_TYPE_LRU_PERCPU_HASH"],
      [TcAttachPoint.INGRESS, "BPF_TC_INGRESS"],
      [LibbpfLevel.DEBUG, "LIBBPF_DEBUG"],
    ];
    for (const [ours, name] of expect) assert.equal(ours, c[name], name);
  },
});

Deno.test("errno, strerror and memory helpers", () => {
  const { libc, libbpf, memory, errno } = ffi();
  assert.equal(libc.close(987654), -1);
  assert.equal(errno(), Errno.EBADF);
  const msg = new Uint8Array(64);
  libbpf.libbpf_strerror(Errno.EOPNOTSUPP, msg, msg.length);
  assert.match(new TextDecoder().decode(msg.subarray(0, msg.indexOf(0))), /not supported/);

  const buf = new Uint8Array([1, 2, 3, 4, 5]);
  const p = memory.pointer(memory.addressOf(buf));
  assert.equal(memory.address(p), memory.addressOf(buf));
  assert.deepEqual([...memory.copy(p, 3, 2)], [3, 4, 5]);
  new Uint8Array(memory.view(p, 5))[0] = 9; // a view aliases the memory
  assert.equal(buf[0], 9);
  assert.equal(memory.cString(memory.pointer(memory.addressOf(cString("héllo")))), "héllo");
  assert.equal(memory.cString(null), "");
  assert.ok(memory.isNull(memory.pointer(0n)));

  const page = libc.getpagesize();
  const m = libc.mmap(null, page, Mmap.PROT_READ | Mmap.PROT_WRITE, 0x22, -1, 0);
  assert.notEqual(memory.address(m), Mmap.FAILED);
  new Uint8Array(memory.view(m, page)).fill(7);
  assert.equal(memory.copy(m, 1, page - 1)[0], 7);
  assert.equal(libc.munmap(m, page), 0);
});

const TINY = `
#define SEC(n) __attribute__((section(n), used))
SEC("tp/syscalls/sys_enter_getpid") int h(void *ctx) { return 0; }
char LICENSE[] SEC("license") = "GPL";
`;

Deno.test({
  name: "libbpf messages reach the sink of the isolate that made the call",
  ignore: !hasClang && !IN_CI,
  async fn() {
    const object = compileBpf(TINY);
    const f = ffi();
    const names = ["iso_a", "iso_b", "iso_c"];
    // Two workers (isolates on other threads of this process) and this isolate open objects
    // at the same time; libbpf's print hook is process-global.
    const rounds = 300;
    const workers = names.slice(0, 2).map((name) => {
      const w = new Worker(new URL("./testdata/open_worker.ts", import.meta.url), {
        type: "module",
      });
      const messages: unknown[] = [];
      let wake = () => {};
      w.onmessage = (e) => {
        messages.push(e.data);
        wake();
      };
      const next = async () => {
        while (!messages.length) await new Promise<void>((r) => wake = r);
        return messages.shift();
      };
      w.postMessage({ object, name, rounds });
      return { w, next };
    });
    for (const { next } of workers) assert.equal(await next(), "ready");
    for (const { w } of workers) w.postMessage("go");
    const mine: string[] = [];
    f.setLibbpfSink((_l, m) => mine.push(m));
    for (let i = 0; i < rounds; i++) {
      const { opts, keep } = objectOpenOpts(f.memory, { objectName: names[2] });
      const obj = f.libbpf.bpf_object__open_mem(object, object.length, opts);
      keep.length;
      assert.notEqual(obj, null);
      f.libbpf.bpf_object__close(obj);
    }
    f.setLibbpfSink(null);
    const done = await Promise.all(workers.map((w) => w.next() as Promise<string[]>));
    const results = [...done, mine];
    workers.forEach(({ w }) => w.terminate());
    results.forEach((lines, i) => {
      const loading = lines.filter((l) => l.includes("loading object"));
      assert.equal(loading.length, rounds, `isolate ${names[i]} got ${loading.length} open lines`);
      for (const l of loading) assert.ok(l.includes(`'${names[i]}'`), `${names[i]} got: ${l}`);
    });
  },
});
