import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { compileBpf } from "../../tests/support/clang.ts";
import { parseElf, SHT, stripDebug } from "./mod.ts";

const SOURCE = `
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
struct { __uint(type, BPF_MAP_TYPE_RINGBUF); __uint(max_entries, 4096); } rb SEC(".maps");
const volatile int knob = 1;
SEC("tp/sched/sched_process_exec") int on_exec(void *ctx) {
  struct task_struct *t = (void *)bpf_get_current_task();
  int *slot = bpf_ringbuf_reserve(&rb, 4, 0);
  if (!slot) return 0;
  *slot = BPF_CORE_READ(t, real_parent, tgid) + knob;
  bpf_ringbuf_submit(slot, 0);
  return 0;
}
char LICENSE[] SEC("license") = "GPL";
`;

/** Relocations as (section, offset, type, symbol name) tuples: independent of symbol indices. */
function relocations(bytes: Uint8Array): string[] {
  const elf = parseElf(bytes);
  const out: string[] = [];
  for (const s of elf.sections) {
    if (s.type !== SHT.REL) continue;
    const v = new DataView(s.data.buffer, s.data.byteOffset, s.data.byteLength);
    for (let o = 0; o < s.data.length; o += 16) {
      const info = v.getBigUint64(o + 8, true);
      const sym = elf.symbols[Number(info >> 32n)];
      out.push(
        `${s.name}+${v.getBigUint64(o, true)} type ${info & 0xffn} ${
          sym.name || elf.sections[sym.shndx].name
        }`,
      );
    }
  }
  return out;
}

Deno.test("stripDebug removes DWARF like llvm-strip -g and keeps BTF, code and relocations", () => {
  const full = compileBpf(SOURCE, [], { vmlinux: true });
  const ours = stripDebug(full);
  const dir = mkdtempSync(join(tmpdir(), "strip-"));
  writeFileSync(`${dir}/x.o`, full);
  const r = spawnSync("llvm-strip", ["-g", `${dir}/x.o`]);
  assert.equal(r.status, 0);
  const theirs = new Uint8Array(readFileSync(`${dir}/x.o`));

  const a = parseElf(ours);
  const b = parseElf(theirs);
  const names = (e: typeof a) => e.sections.map((s) => s.name);
  assert.ok(names(parseElf(full)).includes(".debug_info"));
  assert.deepEqual(names(a), names(b));
  for (const s of a.sections) {
    const t = b.sections.find((x) => x.name === s.name)!;
    // Tables that reference symbols by index or name offsets differ; they are compared by meaning below.
    if ([SHT.SYMTAB, SHT.REL, SHT.STRTAB].includes(s.type as 2) || s.name === ".llvm_addrsig") {
      continue;
    }
    assert.deepEqual(s.data, t.data, `section ${s.name} contents`);
  }
  assert.deepEqual(relocations(ours), relocations(theirs));
  const defined = (e: typeof a) =>
    e.symbols.filter((s) => s.name && s.type !== 4).map((s) =>
      `${s.name}@${e.sections[s.shndx]?.name}+${s.value}`
    );
  assert.deepEqual(defined(a), defined(b));
  assert.ok(ours.length < full.length / 5, `${ours.length} of ${full.length}`);
  // Nothing to strip: the same bytes come back.
  assert.equal(stripDebug(ours), ours);
});
