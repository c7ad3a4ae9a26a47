import assert from "node:assert/strict";
import { compileBpf } from "../../tests/support/clang.ts";
import { ElfError, EM_BPF, findSection, parseElf, SHT, STB, STT } from "./mod.ts";

const SOURCE = `
int counter = 7;
const volatile long limit = 3;
__attribute__((section("tp/x"), used)) int prog(void *ctx) { return counter + limit; }
char LICENSE[] __attribute__((section("license"), used)) = "GPL";
`;

Deno.test("parseElf reads sections and symbols of a clang BPF object", () => {
  const elf = parseElf(compileBpf(SOURCE));
  assert.equal(elf.machine, EM_BPF);
  assert.equal(elf.type, 1);
  const names = elf.sections.map((s) => s.name);
  for (const n of ["tp/x", ".data", ".rodata", "license", ".BTF", ".symtab"]) {
    assert.ok(names.includes(n), `missing section ${n} in ${names}`);
  }
  const data = findSection(elf, ".data")!;
  assert.equal(data.type, SHT.PROGBITS);
  assert.equal(data.size, 4);
  assert.deepEqual([...data.data], [7, 0, 0, 0]);
  assert.equal(new TextDecoder().decode(findSection(elf, "license")!.data), "GPL\0");
  const counter = elf.symbols.find((s) => s.name === "counter")!;
  assert.equal(counter.type, STT.OBJECT);
  assert.equal(counter.bind, STB.GLOBAL);
  assert.equal(elf.sections[counter.shndx].name, ".data");
  const prog = elf.symbols.find((s) => s.name === "prog")!;
  assert.equal(prog.type, STT.FUNC);
  assert.equal(elf.sections[prog.shndx].name, "tp/x");
});

Deno.test("parseElf rejects garbage, truncation and other ELF classes with one clear message", () => {
  const good = compileBpf(SOURCE);
  const cases: [Uint8Array, RegExp][] = [
    [new TextEncoder().encode("this is not an object"), /^not an ELF file \(bad magic\)$/],
    [new Uint8Array(0), /^not an ELF file/],
    [good.slice(0, 40), /^truncated ELF header \(40 of 64 bytes\)$/],
    [good.slice(0, good.length - 100), /^truncated section header table/],
    [Uint8Array.of(0x7f, 0x45, 0x4c, 0x46, 1, 1, ...new Array(58).fill(0)), /^not a 64-bit ELF/],
    [Uint8Array.of(0x7f, 0x45, 0x4c, 0x46, 2, 2, ...new Array(58).fill(0)), /^not a little-endian/],
  ];
  for (const [bytes, msg] of cases) {
    assert.throws(() => parseElf(bytes), (e) => e instanceof ElfError && msg.test(e.message));
  }
});

Deno.test("parseElf reports a section that points past the end of the file", () => {
  const bytes = compileBpf(SOURCE).slice();
  const view = new DataView(bytes.buffer);
  const shoff = Number(view.getBigUint64(40, true));
  // Section 1's size becomes huge.
  view.setBigUint64(shoff + 64 + 32, 1n << 40n, true);
  assert.throws(() => parseElf(bytes), /^ElfError: section 1 extends past the end of the file$/);
});
