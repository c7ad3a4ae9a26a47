/**
 * Test support: builds raw BTF blobs by hand, for kinds clang 14 cannot emit (ENUM64) and for
 * malformed input.
 * @module
 */

/** Incrementally assembles the type and string sections of a BTF blob. */
export class BtfBuilder {
  #types: number[] = [];
  #strings: number[] = [0];
  #strOff = new Map<string, number>([["", 0]]);
  #count = 0;

  /** Adds `s` to the string section (deduplicated) and returns its offset. */
  str(s: string): number {
    const known = this.#strOff.get(s);
    if (known !== undefined) return known;
    const off = this.#strings.length;
    this.#strings.push(...new TextEncoder().encode(s), 0);
    this.#strOff.set(s, off);
    return off;
  }

  /** Appends a type record (header + extra u32 words) and returns its id. */
  add(
    name: string,
    kind: number,
    vlen: number,
    sizeOrType: number,
    extra: number[] = [],
    kflag = false,
  ): number {
    const info = ((kflag ? 1 : 0) << 31) | (kind << 24) | vlen;
    this.#types.push(this.str(name), info >>> 0, sizeOrType >>> 0, ...extra.map((x) => x >>> 0));
    return ++this.#count;
  }

  /** Serialises header + types + strings. */
  build(): Uint8Array {
    const typeLen = this.#types.length * 4;
    const buf = new Uint8Array(24 + typeLen + this.#strings.length);
    const v = new DataView(buf.buffer);
    v.setUint16(0, 0xeb9f, true);
    v.setUint8(2, 1);
    v.setUint32(4, 24, true);
    v.setUint32(8, 0, true);
    v.setUint32(12, typeLen, true);
    v.setUint32(16, typeLen, true);
    v.setUint32(20, this.#strings.length, true);
    this.#types.forEach((w, i) => v.setUint32(24 + i * 4, w, true));
    buf.set(this.#strings, 24 + typeLen);
    return buf;
  }
}
