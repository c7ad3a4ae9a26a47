/**
 * btfgen against bpftool and libbpf: for every example and a fixture covering the relocation
 * families (flavours, members behind anonymous unions, field existence and size, type
 * existence and size, enum values, a relocation nothing matches), our tailored BTF equals
 * `bpftool gen min_core_btf`'s byte for byte on the host's and the matrix kernels' BTF,
 * `bpftool btf dump file` reads it, and libbpf patches every instruction exactly as with the
 * full kernel BTF.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Kind, parseBtf, rawKernelBtf, writeBtf } from "../../lib/btf/mod.ts";
import { loadObject } from "../../lib/loader/mod.ts";
import { loadPackage, type Package } from "../../lib/package/mod.ts";
import { compileExample } from "../../tests/support/build.ts";
import { ROOT } from "../../tests/support/cli.ts";
import { buildPackage, hostKernelTest } from "../../tests/support/kernel.ts";
import { cachedKernels } from "../../tests/vm/btf_archive.ts";
import { essentialName } from "./candidates.ts";
import { objectRelocations, tailorBtf } from "./tailor.ts";

const VMLINUX = "/sys/kernel/btf/vmlinux";
const work = mkdtempSync(join(tmpdir(), "ecli-btfgen-"));
const EXAMPLES = readdirSync(join(ROOT, "examples")).filter((d) =>
  existsSync(join(ROOT, "examples", d, `${d}.bpf.c`))
).sort();

const KINDS = `
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
struct task_struct___ecli { int tgid; struct task_struct___ecli *real_parent; } __attribute__((preserve_access_index));
struct sk_buff___flat { void *dev; unsigned int len; } __attribute__((preserve_access_index));
struct ecli_absent___x { int nope; } __attribute__((preserve_access_index));
u64 out[9];
SEC("tp/syscalls/sys_enter_getppid")
int ecli_bg_kinds(void *ctx)
{
  struct task_struct___ecli *t = (void *)bpf_get_current_task();
  struct sk_buff___flat *skb = (void *)0;
  out[0] = BPF_CORE_READ(t, real_parent, tgid);
  out[1] = bpf_core_field_exists(t->tgid);
  out[2] = bpf_core_field_size(skb->len);
  out[3] = bpf_core_field_offset(skb->dev);
  out[4] = bpf_core_type_exists(struct file);
  out[5] = bpf_core_type_size(struct inode);
  out[6] = bpf_core_enum_value(enum bpf_map_type, BPF_MAP_TYPE_RINGBUF);
  out[7] = bpf_core_enum_value_exists(enum bpf_map_type, BPF_MAP_TYPE_ARRAY);
  out[8] = bpf_core_field_exists(((struct ecli_absent___x *)0)->nope);
  return 0;
}
char LICENSE[] SEC("license") = "GPL";
`;

/** The examples' objects and the fixture's, compiled once. */
let objects: Promise<{ name: string; pkg: Package }[]> | undefined;
function allObjects() {
  objects ??= (async () => {
    const out = [];
    for (const name of EXAMPLES) {
      out.push({ name, pkg: await loadPackage(await compileExample(name, work)) });
    }
    out.push({ name: "core_kinds", pkg: await buildPackage("ecli_bg_kinds", KINDS) });
    return out;
  })();
  return objects;
}

function bpftoolMinCore(fullBtf: string, object: Uint8Array): Uint8Array {
  const obj = join(work, `obj-${crypto.randomUUID()}.o`);
  const out = `${obj}.btf`;
  writeFileSync(obj, object);
  const r = spawnSync("bpftool", ["gen", "min_core_btf", fullBtf, out, obj], { encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  return new Uint8Array(readFileSync(out));
}

/**
 * libbpf's CO-RE outcome per instruction (`relo #N: patched insn #M … off A -> B`). libbpf
 * relocates before the kernel sees a program, so the lines are there even when the host
 * kernel then refuses one (LSM programs where BPF LSM is off).
 */
function relocationLines(pkg: Package, btfPath: string): string[] {
  const lines: string[] = [];
  try {
    loadObject(pkg, {
      btfPath,
      verbose: true,
      attach: false,
      log: (_level, line) => lines.push(line),
    }).close();
  } catch { /* judged by the relocation lines */ }
  return lines.filter((l) => /relo #\d+: (patched|substituting|poison)/.test(l));
}

Deno.test("btfgen: essential names drop the last ___flavour only", () => {
  assert.equal(essentialName("task_struct___v510"), "task_struct");
  assert.equal(essentialName("a___b___c"), "a___b");
  assert.equal(essentialName("__u32"), "__u32");
  assert.equal(essentialName("x____y"), "x____y");
  assert.equal(essentialName("___x"), "___x");
});

Deno.test({
  name: "btfgen: the BTF writer round-trips the host's full kernel BTF",
  ignore: !existsSync(VMLINUX),
  fn() {
    const bytes = new Uint8Array(readFileSync(VMLINUX));
    const full = parseBtf(bytes);
    const again = writeBtf(full.types);
    assert.deepEqual(parseBtf(again).types, full.types);
  },
});

hostKernelTest(
  "btfgen: every example and the fixture equal bpftool's min_core_btf on each kernel",
  async () => {
    const kernels = [{ release: "host", btfFile: VMLINUX }, ...cachedKernels()];
    const objs = await allObjects();
    for (const k of kernels) {
      // Parsed once per kernel: the full BTF is the slow part.
      const full = parseBtf(rawKernelBtf(new Uint8Array(readFileSync(k.btfFile))));
      for (const { name, pkg } of objs) {
        const relos = objectRelocations(pkg.object);
        // Examples that read no kernel struct (profile: stack ids) have nothing to tailor.
        if (relos.relos.length === 0 && name !== "core_kinds") continue;
        assert.ok(relos.relos.length > 0, `${name} has CO-RE relocations`);
        const ours = tailorBtf(full, [relos]);
        assert.deepEqual(
          ours.bytes,
          bpftoolMinCore(k.btfFile, pkg.object),
          `${name} on ${k.release}`,
        );
      }
    }
  },
);

hostKernelTest(
  "btfgen: the fixture keeps flavours, anonymous members and whole enums",
  async () => {
    const { pkg } = (await allObjects()).find((o) => o.name === "core_kinds")!;
    const t = tailorBtf(new Uint8Array(readFileSync(VMLINUX)), [objectRelocations(pkg.object)]);
    // The absent struct matches nothing; the rest resolve.
    assert.equal(t.total - t.resolved, 1);
    const btf = parseBtf(t.bytes);
    const skb = btf.find("sk_buff", Kind.STRUCT)!;
    // `dev` sits in anonymous unions and structs in the kernel's sk_buff: they stay with it.
    assert.deepEqual(skb.members.map((m) => m.name).sort(), ["", "len"]);
    assert.deepEqual(btf.flatMembers(skb.id).map((m) => m.name).sort(), ["dev", "len"]);
    assert.deepEqual(btf.find("task_struct", Kind.STRUCT)!.members.map((m) => m.name).sort(), [
      "real_parent",
      "tgid",
    ]);
    // Type relocations keep the struct, sized, without members.
    assert.deepEqual(btf.find("inode", Kind.STRUCT)!.members, []);
    assert.ok(btf.find("inode", Kind.STRUCT)!.size > 0);
    const full = parseBtf(new Uint8Array(readFileSync(VMLINUX)));
    assert.deepEqual(
      btf.find("bpf_map_type", Kind.ENUM)!.values,
      full.find("bpf_map_type", Kind.ENUM)!.values,
    );
    const dump = spawnSync("bpftool", ["btf", "dump", "file", join(work, "kinds.btf")], {
      encoding: "utf8",
    });
    writeFileSync(join(work, "kinds.btf"), t.bytes);
    assert.ok(dump.status !== undefined);
  },
);

hostKernelTest(
  "btfgen: bpftool dumps and libbpf relocates with our BTF exactly as with the full BTF",
  async () => {
    for (const { name, pkg } of await allObjects()) {
      const relos = objectRelocations(pkg.object);
      if (relos.relos.length === 0) continue; // nothing to tailor (profile reads no kernel struct)
      const t = tailorBtf(new Uint8Array(readFileSync(VMLINUX)), [relos]);
      const file = join(work, `${name}.btf`);
      writeFileSync(file, t.bytes);
      const dump = spawnSync("bpftool", ["btf", "dump", "file", file], { encoding: "utf8" });
      assert.equal(dump.status, 0, dump.stderr);
      assert.match(dump.stdout, /^\[1\] /);
      const tailored = relocationLines(pkg, file);
      assert.ok(tailored.length >= t.resolved, `${name}: ${tailored.join("\n")}`);
      assert.deepEqual(tailored, relocationLines(pkg, VMLINUX), name);
    }
  },
);
