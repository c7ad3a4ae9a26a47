import { PackageError } from "./errors.ts";

/** One regular file of a tar archive. */
export interface TarEntry {
  /** Path inside the archive, without a leading `./`. */
  name: string;
  /** File contents. */
  data: Uint8Array;
}

const BLOCK = 512;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

function field(h: Uint8Array, off: number, len: number): string {
  const end = h.subarray(off, off + len).indexOf(0);
  return decoder.decode(h.subarray(off, end < 0 ? off + len : off + end));
}

function octal(h: Uint8Array, off: number, len: number, what: string): number {
  // GNU base-256 for large values: high bit of the first byte set.
  if (h[off] & 0x80) {
    let n = 0;
    for (let i = off + 1; i < off + len; i++) n = n * 256 + h[i];
    return n;
  }
  const s = field(h, off, len).trim();
  if (!/^[0-7]*$/.test(s)) throw new PackageError(`malformed tar: bad ${what} '${s}'`);
  return s ? parseInt(s, 8) : 0;
}

function checksumOf(h: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : h[i];
  return sum;
}

/**
 * Whether `bytes` is a tar archive: the ustar magic at offset 257 (POSIX `ustar\0` or GNU
 * `ustar  `), which every writer we meet (GNU tar, Rust's `tar` crate, ours) sets.
 */
export function isTar(bytes: Uint8Array): boolean {
  return bytes.length >= BLOCK && field(bytes, 257, 5) === "ustar";
}

/** A package source that is a tar: named `*.tar`, or carrying the ustar magic. */
export function isTarPackage(source: string, head?: Uint8Array): boolean {
  return source.endsWith(".tar") || (head !== undefined && isTar(head));
}

/**
 * Reads the regular files of a ustar/GNU/pax tar (directories and links are skipped; GNU long
 * names and pax `path` records are honoured). A checksum mismatch or an entry running past
 * the end is a `PackageError`.
 */
export function readTar(bytes: Uint8Array): TarEntry[] {
  const out: TarEntry[] = [];
  let longName: string | undefined;
  let p = 0;
  while (p + BLOCK <= bytes.length) {
    const h = bytes.subarray(p, p + BLOCK);
    if (h.every((b) => b === 0)) return out;
    if (field(h, 257, 5) !== "ustar") {
      throw new PackageError(`malformed tar: no ustar header at offset ${p}`);
    }
    const sum = octal(h, 148, 8, "checksum");
    if (sum !== checksumOf(h)) {
      throw new PackageError(`malformed tar: header checksum mismatch at offset ${p}`);
    }
    const size = octal(h, 124, 12, "size");
    const type = String.fromCharCode(h[156] || 0x30);
    const start = p + BLOCK;
    if (start + size > bytes.length) {
      throw new PackageError(
        `truncated tar: entry '${
          field(h, 0, 100)
        }' needs ${size} bytes at offset ${start}, the file has ${bytes.length}`,
      );
    }
    const data = bytes.subarray(start, start + size);
    p = start + Math.ceil(size / BLOCK) * BLOCK;
    if (type === "L") {
      longName = field(data, 0, data.length);
      continue;
    }
    if (type === "x") {
      const path = decoder.decode(data).split("\n").map((l) => l.match(/^\d+ path=(.*)$/)?.[1])
        .find((v) => v !== undefined);
      if (path !== undefined) longName = path;
      continue;
    }
    const prefix = field(h, 345, 155);
    let name = longName ??
      (prefix && field(h, 257, 6) === "ustar" ? `${prefix}/${field(h, 0, 100)}` : field(h, 0, 100));
    longName = undefined;
    name = name.replace(/^(\.\/)+/, "");
    if (type === "0" || type === "7") out.push({ name, data });
  }
  if (p !== bytes.length || bytes.length === 0) {
    throw new PackageError(
      `truncated tar: ${bytes.length} bytes is not a whole number of 512-byte blocks`,
    );
  }
  // Archives without the two zero blocks at the end are accepted, as GNU tar does.
  return out;
}

function header(name: string, size: number, type: "0" | "5"): Uint8Array {
  const h = new Uint8Array(BLOCK);
  let base = encoder.encode(name);
  let prefix = new Uint8Array(0);
  if (base.length > 100) {
    // ustar splits a long path at a slash: prefix (≤155) + name (≤100).
    const cut = name.lastIndexOf("/", name.length - 1);
    const pre = encoder.encode(name.slice(0, cut));
    const rest = encoder.encode(name.slice(cut + 1));
    if (cut < 0 || pre.length > 155 || rest.length > 100) {
      throw new PackageError(`tar: path '${name}' is too long for ustar`);
    }
    base = rest;
    prefix = pre;
  }
  const put = (off: number, s: string) => h.set(encoder.encode(s), off);
  const num = (off: number, len: number, n: number) =>
    put(off, n.toString(8).padStart(len - 1, "0"));
  h.set(base, 0);
  num(100, 8, type === "5" ? 0o755 : 0o644);
  num(108, 8, 0);
  num(116, 8, 0);
  num(124, 12, size);
  num(136, 12, 0);
  h[156] = type.charCodeAt(0);
  put(257, "ustar");
  put(263, "00");
  h.set(prefix, 345);
  put(148, checksumOf(h).toString(8).padStart(6, "0") + "\0 ");
  return h;
}

/**
 * Writes a POSIX ustar archive: a directory entry for every parent path (so any extractor
 * recreates the tree), then each file; fixed mode, owner and time, so the output depends only
 * on the entries.
 */
export function writeTar(entries: TarEntry[]): Uint8Array {
  const blocks: Uint8Array[] = [];
  const dirs = new Set<string>();
  for (const e of entries) {
    const parts = e.name.split("/");
    for (let i = 1; i < parts.length; i++) {
      const dir = parts.slice(0, i).join("/") + "/";
      if (dirs.has(dir)) continue;
      dirs.add(dir);
      blocks.push(header(dir, 0, "5"));
    }
    blocks.push(header(e.name, e.data.length, "0"));
    const padded = new Uint8Array(Math.ceil(e.data.length / BLOCK) * BLOCK);
    padded.set(e.data);
    blocks.push(padded);
  }
  blocks.push(new Uint8Array(2 * BLOCK));
  const out = new Uint8Array(blocks.reduce((n, b) => n + b.length, 0));
  let p = 0;
  for (const b of blocks) {
    out.set(b, p);
    p += b.length;
  }
  return out;
}
