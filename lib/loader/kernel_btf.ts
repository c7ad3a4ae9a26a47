import { closeSync, openSync, readSync, statSync } from "node:fs";
import process from "node:process";
import { LoaderError } from "./errors.ts";

/** Where the running kernel publishes its BTF. */
export const VMLINUX_BTF = "/sys/kernel/btf/vmlinux";

/** Reads an environment variable; undefined when unset or when the runtime forbids it. */
function env(name: string): string | undefined {
  try {
    return process.env[name] || undefined;
  } catch {
    return undefined;
  }
}

/** Whether the first bytes are raw BTF (magic 0xeB9F, either endianness) or an ELF file. */
function looksLikeBtf(path: string): boolean {
  const head = new Uint8Array(4);
  const fd = openSync(path, "r");
  try {
    readSync(fd, head, 0, 4, 0);
  } finally {
    closeSync(fd);
  }
  const btf = (head[0] === 0x9f && head[1] === 0xeb) || (head[0] === 0xeb && head[1] === 0x9f);
  const elf = head[0] === 0x7f && head[1] === 0x45 && head[2] === 0x4c && head[3] === 0x46;
  return btf || elf;
}

/**
 * The kernel BTF for CO-RE, as upstream picks it: `explicit`, else env `BTF_FILE_PATH` (passed
 * to libbpf as `btf_custom_path`), else libbpf's own default (`/sys/kernel/btf/vmlinux`, then
 * undefined is returned). A path that is missing, a directory or not BTF is a `LoaderError`.
 */
export function kernelBtfPath(explicit?: string): string | undefined {
  const fromEnv = explicit === undefined;
  const path = explicit ?? env("BTF_FILE_PATH");
  const what = fromEnv ? `BTF_FILE_PATH=${path}` : `kernel BTF ${path}`;
  if (path === undefined) {
    try {
      statSync(VMLINUX_BTF);
      return undefined;
    } catch {
      throw new LoaderError(
        `kernel BTF not found: ${VMLINUX_BTF} is missing (kernel without CONFIG_DEBUG_INFO_BTF?); ` +
          "set BTF_FILE_PATH to a BTF file for this kernel",
      );
    }
  }
  let isDir: boolean;
  try {
    isDir = statSync(path).isDirectory();
  } catch {
    throw new LoaderError(`${what}: no such file`);
  }
  if (isDir) {
    throw new LoaderError(
      `${what} is a directory; it must name a BTF file (such as ${VMLINUX_BTF})`,
    );
  }
  if (!looksLikeBtf(path)) throw new LoaderError(`${what}: not a BTF or ELF file`);
  return path;
}
