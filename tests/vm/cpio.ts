/**
 * A minimal writer for the `newc` cpio format the Linux kernel unpacks as an initramfs (so the
 * harness needs no `cpio` binary on the host).
 * @module
 */

/** One initramfs entry: a directory, a regular file, or a character device. */
export type CpioEntry =
  | { kind: "dir"; path: string; mode?: number }
  | { kind: "file"; path: string; data: Uint8Array; mode?: number }
  | { kind: "chardev"; path: string; major: number; minor: number; mode?: number };

const enc = new TextEncoder();

function hex8(n: number): string {
  return n.toString(16).padStart(8, "0");
}

function pad4(n: number): number {
  return (4 - (n % 4)) % 4;
}

/** Serializes entries (parents before children) into an uncompressed newc archive. */
export function writeCpio(entries: CpioEntry[]): Uint8Array {
  const chunks: Uint8Array[] = [];
  let ino = 1;
  const push = (name: string, mode: number, data: Uint8Array, rdev = [0, 0]) => {
    const nameBytes = enc.encode(name + "\0");
    const header = "070701" +
      [ino++, mode, 0, 0, 1, 0, data.length, 0, 0, rdev[0], rdev[1], nameBytes.length, 0]
        .map(hex8).join("");
    chunks.push(enc.encode(header), nameBytes, new Uint8Array(pad4(110 + nameBytes.length)));
    chunks.push(data, new Uint8Array(pad4(data.length)));
  };
  for (const e of entries) {
    const name = e.path.replace(/^\/+/, "");
    if (e.kind === "dir") push(name, 0o040000 | (e.mode ?? 0o755), new Uint8Array());
    else if (e.kind === "file") push(name, 0o100000 | (e.mode ?? 0o644), e.data);
    else push(name, 0o020000 | (e.mode ?? 0o600), new Uint8Array(), [e.major, e.minor]);
  }
  push("TRAILER!!!", 0, new Uint8Array());
  const total = chunks.reduce((n, c) => n + c.length, 0);
  const out = new Uint8Array(total + pad4(total));
  let off = 0;
  for (const c of chunks) {
    out.set(c, off);
    off += c.length;
  }
  return out;
}
