/**
 * Members of an uncompressed tar (ustar, GNU long names, pax `path`), read in memory: enough to
 * find a package tar's `package.json` and list what it holds.
 * @module
 */

/** One regular file of a tar. */
export interface TarMember {
  /** Path inside the tar, without a leading `./`. */
  name: string;
  /** The file's bytes (a view into the tar). */
  data: Uint8Array;
}

/** A tar that cannot be read. */
export class TarError extends Error {
  /** Creates the error. */
  constructor(message: string) {
    super(message);
    this.name = "TarError";
  }
}

const text = (b: Uint8Array) => new TextDecoder().decode(b).replace(/\0.*$/s, "");

function octal(b: Uint8Array, at: number): number {
  const s = text(b).trim();
  if (!/^[0-7]*$/.test(s)) throw new TarError(`bad octal number in the header at byte ${at}`);
  return s === "" ? 0 : parseInt(s, 8);
}

/** Lists the regular files of `tar`; throws on a truncated or corrupt archive. */
export function tarMembers(tar: Uint8Array): TarMember[] {
  const out: TarMember[] = [];
  let longName: string | undefined;
  for (let at = 0; at + 512 <= tar.length;) {
    const h = tar.subarray(at, at + 512);
    if (h.every((b) => b === 0)) break;
    let sum = 0;
    for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 32 : h[i];
    if (sum !== octal(h.subarray(148, 156), at)) {
      throw new TarError(`bad header checksum at byte ${at}`);
    }
    const size = octal(h.subarray(124, 136), at);
    const type = String.fromCharCode(h[156] || 0x30);
    const dataAt = at + 512;
    if (dataAt + size > tar.length) {
      throw new TarError(`truncated: member at byte ${at} runs past the end`);
    }
    const data = tar.subarray(dataAt, dataAt + size);
    const prefix = text(h.subarray(257, 262)) === "ustar" ? text(h.subarray(345, 500)) : "";
    const name = longName ?? (prefix ? `${prefix}/` : "") + text(h.subarray(0, 100));
    longName = undefined;
    if (type === "L") longName = text(data);
    else if (type === "x") {
      const path = /(?:^|\n)\d+ path=([^\n]*)\n/.exec(new TextDecoder().decode(data));
      if (path) longName = path[1];
    } else if (type === "0" || type === "\0" || type === "7") {
      out.push({ name: name.replace(/^(\.\/)+/, ""), data });
    }
    at = dataAt + Math.ceil(size / 512) * 512;
  }
  return out;
}
