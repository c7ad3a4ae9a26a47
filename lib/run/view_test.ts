/**
 * The zero-copy handler forms (`view`, `batch`) see exactly what the object form (`event`)
 * sees, for every type of the decoder tests, through a real ring buffer; and a view or batch
 * kept past its hook's return refuses every read.
 * @module
 */
import assert from "node:assert/strict";
import { ffi } from "../../ffi/mod.ts";
import { Kind, readBpfObject } from "../btf/mod.ts";
import { DetachedViewError, structFields } from "../decode/mod.ts";
import { RingBufferReader } from "../export/mod.ts";
import { type HandlerObject } from "../handler/mod.ts";
import { loadObject } from "../loader/mod.ts";
import type { MapMeta } from "../package/mod.ts";
import { nativeStdout } from "../../tests/support/clang.ts";
import { FILL, TYPES } from "../../tests/support/event_types.ts";
import {
  buildHostTool,
  buildPackage,
  GETPID_GENERATOR,
  hostKernelTest,
  startGenerator,
} from "../../tests/support/kernel.ts";
import { type ExportPlan, FdOutput, handlerConsumer } from "./mod.ts";
import { openSync } from "node:fs";

const ENTRIES = 8;
const PROGRAM = `
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#undef RED
${TYPES.replace(/enum color/g, "enum ecli_color").replace(/\bRED\b|\bGREEN\b|\bBLUE\b/g, "C_$&")}
struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, ${ENTRIES});
  __type(key, u32);
  __type(value, struct event);
} src SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_RINGBUF); __uint(max_entries, 256 * 1024); } rb SEC(".maps");
const volatile u32 target_pid = 0;
SEC("tp/syscalls/sys_enter_getpid")
int ecli_view_src(void *ctx)
{
  if ((bpf_get_current_pid_tgid() >> 32) != target_pid) return 0;
#pragma clang loop unroll(full)
  for (u32 i = 0; i < ${ENTRIES}; i++) {
    u32 key = i;
    struct event *v = bpf_map_lookup_elem(&src, &key);
    if (v) bpf_ringbuf_output(&rb, v, sizeof(*v), 0);
  }
  return 0;
}
char LICENSE[] SEC("license") = "GPL";
`;

/** Deterministic bytes (xorshift32), so a failure reproduces. */
function randomBytes(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed | 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

hostKernelTest(
  "view and batch hooks read what the event hook gets, through a ring buffer",
  async () => {
    // The program's struct event has vmlinux.h's names clashing with the test types renamed.
    const pkg = await buildPackage("ecli_view", PROGRAM.replace("#undef RED\n", ""));
    const { btf } = readBpfObject(pkg.object);
    const typeId = btf.find("event", Kind.STRUCT)!.id;
    const size = btf.sizeOf(typeId);
    const names = structFields(btf, typeId).map((f) => f.name);
    const gen = startGenerator(buildHostTool("ecli_view_gen", GETPID_GENERATOR));
    const pidBytes = new Uint8Array(4);
    new DataView(pidBytes.buffer).setUint32(0, gen.pid, true);
    const obj = loadObject(pkg, {
      variables: [{ section: ".rodata", name: "target_pid", bytes: pidBytes }],
    });
    const devNull = openSync("/dev/null", "w");
    try {
      // Entry 0: the values C stored (the decoder's cross-check); the rest: random bytes.
      const filled = nativeStdout(FILL.replace(/enum color/g, "enum ecli_color"));
      assert.equal(filled.length, size);
      for (let i = 0; i < ENTRIES; i++) {
        const value = i === 0 ? filled : randomBytes(size, 0x9e3779b9 * (i + 1));
        const key = new Uint8Array(new Uint32Array([i]).buffer);
        assert.equal(ffi().libbpf.bpf_map_update_elem(obj.map("src").fd, key, value, 0n), 0);
      }
      const plan: ExportPlan = { kind: "ringbuf", map: { name: "rb" } as MapMeta, typeId };
      const consume = (handler: HandlerObject) => {
        const consumer = handlerConsumer(handler, { format: "json", log: () => {} })({
          btf,
          object: obj,
          meta: pkg.meta,
          args: {},
          out: new FdOutput(devNull),
          stop: (e?: unknown) => {
            if (e) throw e;
          },
        });
        return new RingBufferReader(obj.map("rb"), {
          at: (view, offset, length) => consumer.recordAt!(plan, view, offset, length),
          flush: () => consumer.drained?.(plan),
        });
      };
      const fieldsOf = (v: Record<string, unknown>) =>
        Object.fromEntries(names.map((n) => [n, v[n]]));

      const objects: unknown[] = [];
      const viewed: unknown[] = [];
      const viewObjects: unknown[] = [];
      const batched: unknown[] = [];
      let keptView: Record<string, unknown> | undefined;
      let keptBatch: { length: number; at(i: number): unknown } | undefined;
      let keptCursor: Record<string, unknown> | undefined;
      const forms: HandlerObject[] = [
        { event: (e) => void objects.push(e) },
        {
          view: (v) => {
            const view = v as Record<string, unknown> & { toObject(): unknown };
            viewed.push(fieldsOf(view));
            viewObjects.push(view.toObject());
            keptView = view;
          },
        },
        {
          batch: (b) => {
            const batch = b as { length: number; at(i: number): Record<string, unknown> };
            for (let i = 0; i < batch.length; i++) batched.push(fieldsOf(batch.at(i)));
            keptBatch = batch;
            keptCursor = batch.at(0);
          },
        },
      ];
      for (const handler of forms) {
        const reader = consume(handler);
        try {
          await gen.round(1);
          assert.equal(reader.drain(), ENTRIES);
        } finally {
          await reader.close();
        }
      }
      assert.equal(objects.length, ENTRIES);
      const first = objects[0] as Record<string, unknown>;
      assert.equal(first.pid, 4294967295);
      assert.equal(first.comm, "ecli-test");
      assert.equal(first.neg, -9007199254740993n);
      assert.deepEqual(viewed, objects);
      assert.deepEqual(viewObjects, objects);
      assert.deepEqual(batched, objects);

      // Kept past the return: every read is refused (the ring space is the kernel's again).
      const refused = { name: "DetachedViewError", message: /used after its handler returned/ };
      assert.throws(() => keptView!.pid, refused);
      assert.throws(() => keptView!.comm, refused);
      assert.throws(() => (keptView as unknown as { toObject(): unknown }).toObject(), refused);
      assert.throws(() => keptBatch!.length, refused);
      assert.throws(() => keptBatch!.at(0), refused);
      assert.throws(() => keptCursor!.pid, DetachedViewError);
    } finally {
      obj.close();
      await gen.close();
    }
  },
);
