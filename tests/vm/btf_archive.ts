/**
 * A btfhub-archive tree built from the kernels the matrix boots, so the tailored-BTF tests
 * need nothing from outside: each Debian kernel's BTF is the `.BTF` section of its vmlinux,
 * filed as `debian/<VERSION_ID>/x86_64/<release>.btf.tar.xz` (btfhub's own packing: a tar
 * with one `<release>.btf`, xz-compressed). The host's `/sys/kernel/btf/vmlinux` joins it as
 * raw `.btf` under the host's os-release, so the host run of a kernel test finds itself too.
 *
 * Usage: `deno run -A tests/vm/btf_archive.ts OUT_DIR` (every kernel already in the cache).
 * The matrix builds one per run (`ECLI_TEST_BTF_ARCHIVE`) for the host and the guests.
 * @module
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { rawKernelBtf } from "../../lib/btf/mod.ts";
import { archiveKey, systemIdentity, writeTar } from "../../lib/package/mod.ts";
import { cacheRoot } from "./kernel.ts";

/** A kernel to file in the archive. */
export interface ArchiveKernel {
  /** Kernel release (`uname -r` in its guest). */
  release: string;
  /** Its uncompressed vmlinux (ELF with `.BTF`) or a raw BTF file. */
  btfFile: string;
}

/**
 * The Debian `VERSION_ID` a kernel ships in: `+debNN` in newer release strings, else by
 * upstream version (bullseye 5.10, bookworm 6.1, buster 4.19).
 */
export function debianVersionOf(release: string): string {
  const deb = release.match(/\+deb(\d+)/);
  if (deb) return deb[1];
  if (release.startsWith("5.10.")) return "11";
  if (release.startsWith("6.1.")) return "12";
  if (release.startsWith("4.19.")) return "10";
  throw new Error(`kernel ${release}: which Debian release ships it is not known`);
}

/** The archive path of a matrix kernel. */
export function debianKey(release: string): string {
  return `debian/${debianVersionOf(release)}/x86_64/${release}.btf`;
}

/** Kernels already unpacked in the harness cache (`kernels/<package>/vmlinux`). */
export function cachedKernels(): ArchiveKernel[] {
  const dir = join(cacheRoot(), "kernels");
  if (!existsSync(dir)) return [];
  return readdirSync(dir).filter((d) =>
    d.startsWith("linux-image-") && existsSync(join(dir, d, "vmlinux"))
  )
    .sort().map((d) => ({
      release: d.slice("linux-image-".length),
      btfFile: join(dir, d, "vmlinux"),
    }));
}

/**
 * Writes the archive under `out` and returns its paths (archive keys). Kernels go in as
 * `.btf.tar.xz`; the host kernel (when it has BTF) as a raw `.btf`.
 */
export function buildBtfArchive(out: string, kernels: ArchiveKernel[], withHost = true): string[] {
  const keys: string[] = [];
  for (const k of kernels) {
    const key = debianKey(k.release);
    const tar = writeTar([{
      name: `${k.release}.btf`,
      data: rawKernelBtf(readFileSync(k.btfFile)),
    }]);
    const file = join(out, key + ".tar");
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, tar);
    // In place (`…tar` -> `…tar.xz`): piping megabytes through execFileSync's input stalls.
    execFileSync("xz", ["-1", "-T1", "-f", file]);
    keys.push(key);
  }
  if (withHost && existsSync("/sys/kernel/btf/vmlinux")) {
    const key = archiveKey(systemIdentity());
    if (!keys.includes(key)) {
      const file = join(out, key);
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, readFileSync("/sys/kernel/btf/vmlinux"));
      keys.push(key);
    }
  }
  return keys.sort();
}

if (import.meta.main) {
  const out = Deno.args[0];
  if (!out) {
    console.error("usage: deno run -A tests/vm/btf_archive.ts OUT_DIR");
    Deno.exit(2);
  }
  for (const key of buildBtfArchive(out, cachedKernels())) console.log(key);
}
