import { parseElf } from "../elf/mod.ts";

/**
 * A BPF object as C source for a guest to embed (what `xxd -i` writes, plus where `.rodata`
 * starts in it, -1 when there is none): the guest may patch read-only variables in these
 * bytes before it hands them to `wasm_load_bpf_object`, as upstream's skeleton does.
 */
export function objectAsCArray(bytes: Uint8Array, ident: string): string {
  const rows: string[] = [];
  for (let i = 0; i < bytes.length; i += 16) {
    const row = [...bytes.subarray(i, i + 16)].map((b) => `0x${b.toString(16).padStart(2, "0")}`);
    rows.push(`  ${row.join(", ")},`);
  }
  const rodata = parseElf(bytes).sections.find((s) => s.name === ".rodata")?.offset ?? -1;
  return [
    "/* Generated: a BPF object, embedded. */",
    `static const unsigned char ${ident}[] __attribute__((aligned(8))) = {`,
    ...rows,
    "};",
    `static const unsigned int ${ident}_len = ${bytes.length};`,
    `static const int ${ident}_rodata_offset = ${rodata};`,
    "",
  ].join("\n");
}
