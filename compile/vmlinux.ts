import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import { gunzipSync } from "node:zlib";
import { parseBtf, renderCHeader } from "../lib/btf/mod.ts";
import { cacheDir, writeFileAtomic } from "./cache.ts";
import { CompileError } from "./errors.ts";
import { includeRoot } from "./headers.ts";

/** Where the running kernel publishes its BTF. */
export const KERNEL_BTF = "/sys/kernel/btf/vmlinux";

/** Where a `vmlinux.h` came from. */
export interface VmlinuxHeader {
  /** Directory to put on the include path (holds `vmlinux.h`). */
  dir: string;
  /** `kernel` (rendered from the running kernel's BTF) or `bundled`. */
  source: "kernel" | "bundled";
}

/**
 * Provides a directory holding `vmlinux.h`: rendered from the running kernel's BTF by our own
 * BTF code and cached by content hash, or the bundled header when the kernel has no BTF.
 * `$ECC_VMLINUX_BTF` picks another BTF file to render (e.g. a BTFHub one); `none` takes the
 * bundled header.
 */
export function vmlinuxHeader(arch: string): VmlinuxHeader {
  if (process.env.ECC_VMLINUX_BTF === "none") return bundledVmlinux(arch);
  const btfPath = process.env.ECC_VMLINUX_BTF || KERNEL_BTF;
  const identity = btfIdentity(btfPath);
  if (identity) {
    const dir = cacheDir("vmlinux", hashHex(identity));
    const file = join(dir, "vmlinux.h");
    if (!existsSync(file)) {
      let text: string;
      try {
        text = renderCHeader(parseBtf(readFileSync(btfPath)));
      } catch (e) {
        throw new CompileError(`${btfPath}: cannot render vmlinux.h: ${(e as Error).message}`);
      }
      writeFileAtomic(file, text);
    }
    return { dir, source: "kernel" };
  }
  if (process.env.ECC_VMLINUX_BTF) {
    throw new CompileError(`ECC_VMLINUX_BTF=${btfPath}: cannot read the file`);
  }
  return bundledVmlinux(arch);
}

/**
 * What identifies a BTF file without reading its 5 MB on every compile: for the running
 * kernel its release and build string, for another file its path, size and mtime.
 */
function btfIdentity(path: string): string | undefined {
  try {
    const st = statSync(path);
    if (!st.isFile()) return undefined;
    if (path !== KERNEL_BTF) return `${path}:${st.size}:${st.mtimeMs}`;
    const release = readFileSync("/proc/sys/kernel/osrelease", "utf8").trim();
    const version = readFileSync("/proc/sys/kernel/version", "utf8").trim();
    return `kernel:${release}:${version}:${st.size}`;
  } catch {
    return undefined;
  }
}

/** 64-bit FNV-1a of a string as 16 hex digits: a cache key, not a security hash. */
export function hashHex(data: string | Uint8Array): string {
  const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
  let h = 0xcbf29ce484222325n;
  for (const b of bytes) h = BigInt.asUintN(64, (h ^ BigInt(b)) * 0x100000001b3n);
  return h.toString(16).padStart(16, "0");
}

function bundledVmlinux(arch: string): VmlinuxHeader {
  const gz = join(includeRoot(), "vmlinux", arch, "vmlinux.h.gz");
  if (!existsSync(gz)) {
    throw new CompileError(
      `the kernel has no BTF (${KERNEL_BTF}) and no vmlinux.h is bundled for ${arch}; ` +
        `set ECC_VMLINUX_BTF to a BTF file`,
    );
  }
  const st = statSync(gz);
  const dir = cacheDir("vmlinux", `bundled-${arch}-${hashHex(`${st.size}:${st.mtimeMs}`)}`);
  const file = join(dir, "vmlinux.h");
  if (!existsSync(file)) writeFileAtomic(file, gunzipSync(readFileSync(gz)));
  return { dir, source: "bundled" };
}
