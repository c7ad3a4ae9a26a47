import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { homedir } from "node:os";
import { join, relative, sep } from "node:path";
import process from "node:process";
import { rawKernelBtf } from "../../lib/btf/mod.ts";
import { archiveKey, readTar, systemIdentity } from "../../lib/package/mod.ts";
import { CompileError } from "../errors.ts";

/** One full kernel BTF to tailor, and where it goes in the archive. */
export interface KernelBtfSource {
  /** btfhub-archive path: `<ID>/<VERSION_ID>/<arch>/<release>.btf`. */
  key: string;
  /** Where it came from (for messages). */
  file: string;
  /** Reads the raw BTF (decompressing `.btf.tar.xz`). */
  read(): Uint8Array;
}

/** Upstream ecc's default archive: `$EUNOMIA_HOME/btfhub-archive`, else under XDG data. */
export function defaultBtfhubArchive(): string {
  const home = process.env.EUNOMIA_HOME ??
    join(process.env.XDG_DATA_HOME ?? join(homedir(), ".local", "share"), "eunomia");
  return join(home, "btfhub-archive");
}

/** Reads a btfhub `.btf.tar.xz`: xz (the `xz` tool), then the one `.btf` inside. */
function readTarXz(file: string): Uint8Array {
  let tar: Uint8Array;
  try {
    tar = new Uint8Array(execFileSync("xz", ["-dc", file], { maxBuffer: 1 << 30 }));
  } catch (e) {
    const err = e as { code?: string; stderr?: Uint8Array };
    const why = err.code === "ENOENT"
      ? "the xz tool is not installed (apt-get install xz-utils)"
      : new TextDecoder().decode(err.stderr ?? new Uint8Array()).trim() || String(e);
    throw new CompileError(`${file}: cannot decompress: ${why}`);
  }
  const btf = readTar(tar).find((e) => e.name.endsWith(".btf"));
  if (!btf) throw new CompileError(`${file}: the archive holds no .btf file`);
  return btf.data;
}

function readKernelFile(file: string): Uint8Array {
  try {
    return rawKernelBtf(new Uint8Array(readFileSync(file)), file);
  } catch (e) {
    throw new CompileError(`${file}: ${(e as Error).message}`);
  }
}

/**
 * The kernels of a btfhub-archive tree: every `<ID>/<VERSION_ID>/<arch>/<release>.btf` and
 * `….btf.tar.xz` under `dir`, sorted by archive path.
 */
export function btfhubKernels(dir: string): KernelBtfSource[] {
  try {
    if (!statSync(dir).isDirectory()) throw new Error();
  } catch {
    throw new CompileError(
      `btfhub archive ${dir}: no such directory (give --btfhub-archive DIR, a tree laid out as ` +
        `btfhub-archive's <ID>/<VERSION_ID>/<arch>/<release>.btf[.tar.xz], or --btf-from FILE)`,
    );
  }
  const out: KernelBtfSource[] = [];
  const walk = (d: string) => {
    for (
      const e of readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name < b.name ? -1 : 1)
    ) {
      const file = join(d, e.name);
      if (e.isDirectory()) walk(file);
      else if (e.name.endsWith(".btf.tar.xz")) {
        out.push({
          key: relative(dir, file).split(sep).join("/").slice(0, -7),
          file,
          read: () => readTarXz(file),
        });
      } else if (e.name.endsWith(".btf")) {
        out.push({
          key: relative(dir, file).split(sep).join("/"),
          file,
          read: () => readKernelFile(file),
        });
      }
    }
  };
  walk(dir);
  const keyed = out.filter((k) => k.key.split("/").length === 4);
  if (!keyed.length) {
    throw new CompileError(
      `btfhub archive ${dir}: no <ID>/<VERSION_ID>/<arch>/<release>.btf[.tar.xz] files`,
    );
  }
  return keyed;
}

const ARCHES = new Set(["x86_64", "arm64", "aarch64", "s390x", "ppc64le", "riscv64"]);

/**
 * A kernel BTF named on the command line (`ecc --btf-from`): `ID/VERSION_ID/ARCH/RELEASE.btf=FILE`,
 * a file already inside a btfhub layout (`…/debian/12/x86_64/6.1.0-57-amd64.btf`), or
 * `/sys/kernel/btf/vmlinux` (this system's path). Raw BTF or an ELF vmlinux with `.BTF`.
 */
export function kernelFromArg(arg: string): KernelBtfSource {
  const eq = arg.indexOf("=");
  let key: string;
  let file: string;
  if (eq > 0) {
    key = arg.slice(0, eq);
    file = arg.slice(eq + 1);
    if (key.split("/").length !== 4 || !key.endsWith(".btf")) {
      throw new CompileError(`--btf-from ${arg}: the name must be ID/VERSION_ID/ARCH/RELEASE.btf`);
    }
  } else {
    file = arg;
    const parts = arg.replace(/\.tar\.xz$/, "").split("/");
    if (arg === "/sys/kernel/btf/vmlinux") key = archiveKey(systemIdentity());
    else if (parts.length >= 4 && ARCHES.has(parts.at(-2)!) && parts.at(-1)!.endsWith(".btf")) {
      key = parts.slice(-4).join("/");
    } else {
      throw new CompileError(
        `--btf-from ${arg}: cannot tell which kernel it is for; write ID/VERSION_ID/ARCH/RELEASE.btf=${arg}`,
      );
    }
  }
  return {
    key,
    file,
    read: () => file.endsWith(".tar.xz") ? readTarXz(file) : readKernelFile(file),
  };
}
