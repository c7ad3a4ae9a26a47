import { readFileSync } from "node:fs";
import type { Frame } from "./frame.ts";

/** Kernel text symbols from `/proc/kallsyms`, sorted by address for lookups. */
export class KernelSymbols {
  /** Addresses as 32-bit halves: parsing 200k BigInts would cost as much as the read. */
  #hi: Uint32Array;
  #lo: Uint32Array;
  #names: string[];
  #modules: (string | null)[];

  /** Parses kallsyms text (`ffffffff81000000 T _stext [module]` lines); keeps text symbols. */
  constructor(text: string) {
    // A hand-written scan: kallsyms has ~200k lines, and a regex per line costs 2x the read.
    const hi: number[] = [], lo: number[] = [], names: string[] = [];
    const modules: (string | null)[] = [];
    let sorted = true;
    for (let pos = 0, nl = 0; pos < text.length; pos = nl + 1) {
      nl = text.indexOf("\n", pos);
      if (nl < 0) nl = text.length;
      const sp = text.indexOf(" ", pos);
      if (sp <= pos || sp + 3 >= nl || text.charCodeAt(sp + 2) !== 32) continue;
      const t = text.charCodeAt(sp + 1); // t T w W: text (weak) symbols
      if (t !== 116 && t !== 84 && t !== 119 && t !== 87) continue;
      const h = parseInt(text.slice(pos, sp - 8), 16) || 0;
      const l = parseInt(text.slice(sp - 8, sp), 16);
      if (h === 0 && l === 0) continue; // hidden by kptr_restrict: nothing to resolve against
      const rest = text.slice(sp + 3, nl); // `name` or `name\t[module]`
      const tab = rest.indexOf("\t");
      const n = hi.length;
      if (n && (h < hi[n - 1] || (h === hi[n - 1] && l < lo[n - 1]))) sorted = false;
      hi.push(h);
      lo.push(l);
      names.push(tab < 0 ? rest.trimEnd() : rest.slice(0, tab));
      modules.push(tab < 0 ? null : rest.slice(rest.indexOf("[") + 1, rest.lastIndexOf("]")));
    }
    const order = hi.map((_, i) => i);
    if (!sorted) order.sort((a, b) => hi[a] - hi[b] || lo[a] - lo[b]);
    this.#hi = Uint32Array.from(order, (i) => hi[i]);
    this.#lo = Uint32Array.from(order, (i) => lo[i]);
    this.#names = order.map((i) => names[i]);
    this.#modules = order.map((i) => modules[i]);
  }

  /** Reads the running kernel's `/proc/kallsyms` (addresses need root or kptr_restrict 0). */
  static load(path = "/proc/kallsyms"): KernelSymbols {
    return new KernelSymbols(readFileSync(path, "utf8"));
  }

  /** How many symbols have a usable address. */
  get size(): number {
    return this.#hi.length;
  }

  /** The frame of a kernel address: the closest symbol at or below it. */
  resolve(addr: bigint): Frame {
    const h = Number(addr >> 32n), l = Number(addr & 0xffff_ffffn);
    const [H, L] = [this.#hi, this.#lo];
    let a = 0, b = H.length - 1, hit = -1;
    while (a <= b) {
      const mid = (a + b) >> 1;
      if (H[mid] < h || (H[mid] === h && L[mid] <= l)) {
        hit = mid;
        a = mid + 1;
      } else b = mid - 1;
    }
    if (hit < 0) return { addr, sym: null, offset: 0, module: null };
    return {
      addr,
      sym: this.#names[hit],
      offset: (h - H[hit]) * 2 ** 32 + (l - L[hit]),
      module: this.#modules[hit] ?? "kernel",
    };
  }
}
