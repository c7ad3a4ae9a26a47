import {
  closeSync,
  mkdtempSync,
  openSync,
  readSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { archiveKey, type BtfArchive, systemIdentity } from "../package/mod.ts";
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

/** The BTF file libbpf gets, and the temporary copy to delete once the object is loaded. */
export interface KernelBtfChoice {
  /** `btf_custom_path`; undefined lets libbpf use the running kernel's BTF. */
  path?: string;
  /** Set when `path` is a temporary file written from a package's BTF archive. */
  cleanup?: () => void;
  /** Which archive file was chosen (`debian/12/x86_64/6.1.0-57-amd64.btf`), if any. */
  archiveKey?: string;
}

/**
 * `kernelBtfPath` for a package that may carry tailored BTF (`package.tar`): `explicit`
 * (`--btf`), else `BTF_FILE_PATH`, else the running kernel's own BTF when it has one, else the
 * archive's file for this system (written to a temporary file, as libbpf reads a path). No
 * file for this kernel is a `LoaderError` naming the kernel release and what the archive holds.
 */
export function chooseKernelBtf(explicit?: string, archive?: BtfArchive): KernelBtfChoice {
  if (explicit !== undefined || env("BTF_FILE_PATH") !== undefined || !archive) {
    return { path: kernelBtfPath(explicit) };
  }
  try {
    statSync(VMLINUX_BTF);
    return {};
  } catch { /* no kernel BTF: the archive decides */ }
  const system = systemIdentity();
  const hit = archive.select(system);
  if (!hit) {
    throw new LoaderError(
      `kernel ${system.release} has no BTF (${VMLINUX_BTF} is missing) and the package has none ` +
        `for ${archiveKey(system)} (it holds ${archive.summary()}); set BTF_FILE_PATH or --btf`,
    );
  }
  const dir = mkdtempSync(join(tmpdir(), "ecli-btf-"));
  const path = join(dir, "vmlinux.btf");
  writeFileSync(path, hit.bytes);
  return {
    path,
    archiveKey: hit.key,
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}
