/// <reference no-default-lib="true" />
/// <reference lib="deno.worker" />
/**
 * Worker for ffi_test.ts: after "go", opens and closes a BPF object `rounds` times under its
 * own name and reports every libbpf line this isolate's sink received.
 */
import { ffi, objectOpenOpts } from "../mod.ts";

let job: { object: Uint8Array; name: string; rounds: number };

self.onmessage = (e: MessageEvent) => {
  if (e.data !== "go") {
    job = e.data;
    ffi();
    self.postMessage("ready");
    return;
  }
  const { object, name, rounds } = job;
  const f = ffi();
  const lines: string[] = [];
  f.setLibbpfSink((_level, message) => lines.push(message));
  for (let i = 0; i < rounds; i++) {
    const { opts, keep } = objectOpenOpts(f.memory, { objectName: name });
    const obj = f.libbpf.bpf_object__open_mem(object, object.length, opts);
    keep.length;
    if (obj === null) throw new Error(`open failed: ${f.errno()}`);
    f.libbpf.bpf_object__close(obj);
  }
  f.setLibbpfSink(null);
  self.postMessage(lines);
};
