import { readFileSync } from "node:fs";
import type { Frame } from "./frame.ts";

/** Kernel text symbols from `/proc/kallsyms`, sorted by address for lookups. */
export class KernelSymbols {
  #addrs: BigUint64Array;
  #names: string[];
  #modules: (string | null)[];

  /** Parses kallsyms text (`ffffffff81000000 T _stext [module]` lines); keeps text symbols. */
  constructor(text: string) {
    const rows: [bigint, string, string | null][] = [];
    for (const line of text.split("\n")) {
      const m = /^([0-9a-f]+) ([tTwW]) (\S+)(?:\s+\[(\S+)\])?/.exec(line);
      if (!m) continue;
      const addr = BigInt("0x" + m[1]);
      if (addr === 0n) continue; // hidden by kptr_restrict: nothing to resolve against
      rows.push([addr, m[3], m[4] ?? null]);
    }
    rows.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    this.#addrs = BigUint64Array.from(rows.map((r) => r[0]));
    this.#names = rows.map((r) => r[1]);
    this.#modules = rows.map((r) => r[2]);
  }

  /** Reads the running kernel's `/proc/kallsyms` (addresses need root or kptr_restrict 0). */
  static load(path = "/proc/kallsyms"): KernelSymbols {
    return new KernelSymbols(readFileSync(path, "utf8"));
  }

  /** How many symbols have a usable address. */
  get size(): number {
    return this.#addrs.length;
  }

  /** The frame of a kernel address: the closest symbol at or below it. */
  resolve(addr: bigint): Frame {
    const a = this.#addrs;
    let lo = 0, hi = a.length - 1, hit = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (a[mid] <= addr) {
        hit = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    if (hit < 0) return { addr, sym: null, offset: 0, module: null };
    return {
      addr,
      sym: this.#names[hit],
      offset: Number(addr - a[hit]),
      module: this.#modules[hit] ?? "kernel",
    };
  }
}
