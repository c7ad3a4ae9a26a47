import { closeSync, openSync, readSync } from "node:fs";

/** The 8 bytes every WebAssembly binary module starts with (`\0asm`, version 1). */
const WASM_MAGIC = [0x00, 0x61, 0x73, 0x6d];

/**
 * Whether a program given to `ecli run`/`info` is a WebAssembly module: its name ends in
 * `.wasm`, or its first bytes (when given) are the Wasm magic. The one place that decides, so
 * a general program-type detection can call it.
 */
export function isWasmModule(path: string, head?: Uint8Array): boolean {
  if (/\.wasm$/i.test(path)) return true;
  return !!head && head.length >= 4 && WASM_MAGIC.every((b, i) => head[i] === b);
}

/** The first bytes of a local file, for `isWasmModule`; undefined when it cannot be read. */
export function fileHead(path: string): Uint8Array | undefined {
  if (path === "-" || /^[a-z]+:\/\//i.test(path)) return undefined;
  let fd: number | undefined;
  try {
    fd = openSync(path, "r");
    const head = new Uint8Array(8);
    return head.subarray(0, readSync(fd, head, 0, 8, 0));
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
