import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { ElfError } from "./errors.ts";

/** Where an executable's ELF image ends in its file, and how long the file is. */
export interface ElfExtent {
  /** Bytes the ELF image covers: past its last section, segment and header table. */
  end: number;
  /** The file's size; larger than `end` when data was appended to the image. */
  size: number;
}

function readAt(fd: number, offset: number, length: number): DataView {
  const buf = new Uint8Array(length);
  if (readSync(fd, buf, 0, length, offset) !== length) {
    throw new ElfError(`truncated ELF: ${length} bytes at ${offset} are past the end`);
  }
  return new DataView(buf.buffer);
}

/**
 * The extent of the ELF64 image in `path`, read from its headers alone (an executable is
 * ~100 MB; this reads a few KB): the end of the section header table, of every segment and of
 * every section with file contents. What lies past it was appended (a tool's payload).
 */
export function elfExtent(path: string): ElfExtent {
  const fd = openSync(path, "r");
  try {
    const size = fstatSync(fd).size;
    if (size < 64) throw new ElfError(`${path}: not an ELF file (${size} bytes)`);
    const h = readAt(fd, 0, 64);
    if (h.getUint32(0, false) !== 0x7f454c46 || h.getUint8(4) !== 2 || h.getUint8(5) !== 1) {
      throw new ElfError(`${path}: not an ELF64 little-endian file`);
    }
    const phoff = Number(h.getBigUint64(0x20, true));
    const shoff = Number(h.getBigUint64(0x28, true));
    const phentsize = h.getUint16(0x36, true);
    const phnum = h.getUint16(0x38, true);
    const shentsize = h.getUint16(0x3a, true);
    const shnum = h.getUint16(0x3c, true);
    let end = Math.max(64, phoff + phnum * phentsize, shoff + shnum * shentsize);
    if (end > size) throw new ElfError(`${path}: truncated ELF (headers end past ${size} bytes)`);
    if (phnum) {
      const ph = readAt(fd, phoff, phnum * phentsize);
      for (let i = 0; i < phnum; i++) {
        const o = i * phentsize;
        end = Math.max(
          end,
          Number(ph.getBigUint64(o + 8, true)) + Number(ph.getBigUint64(o + 32, true)),
        );
      }
    }
    if (shnum) {
      const sh = readAt(fd, shoff, shnum * shentsize);
      for (let i = 0; i < shnum; i++) {
        const o = i * shentsize;
        if (sh.getUint32(o + 4, true) === 8) continue; // SHT_NOBITS: no bytes in the file
        end = Math.max(
          end,
          Number(sh.getBigUint64(o + 24, true)) + Number(sh.getBigUint64(o + 32, true)),
        );
      }
    }
    if (end > size) throw new ElfError(`${path}: truncated ELF (image ends past ${size} bytes)`);
    return { end, size };
  } finally {
    closeSync(fd);
  }
}
