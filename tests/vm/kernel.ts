/**
 * Debian kernels for the qemu harness: downloaded with `apt-get download` (never installed, no
 * change to the system's apt configuration), unpacked with `dpkg-deb -x` into a cache directory,
 * and the uncompressed vmlinux taken out of the bzImage so qemu can boot it through PVH (about
 * 3 s faster under TCG than letting the guest decompress it).
 * @module
 */
import { existsSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";

/** A kernel of the matrix: a short label and the Debian packages that carry it. */
export interface KernelSpec {
  /** Short label for tables, e.g. "6.1". */
  name: string;
  /** Debian packages to download (image, and modules when split as on 7.x). */
  packages: string[];
  /**
   * `deb` lines of a private apt configuration (under the cache; the system's apt configuration
   * is untouched) for kernels outside the system's sources; omitted: the system's apt.
   */
  sources?: string[];
}

/** A kernel ready to boot. */
export interface PreparedKernel {
  spec: KernelSpec;
  /** Kernel release, e.g. "6.1.0-56-amd64". */
  release: string;
  /** Uncompressed ELF vmlinux (PVH entry), or the bzImage when extraction failed. */
  image: string;
  /** `lib/modules/RELEASE` of the unpacked packages. */
  moduleDir: string;
  /** This kernel's cache directory (initramfs and job dirs go there). */
  dir: string;
}

/** Debian bookworm's 6.1, fetchable with the system's apt sources. */
export const BOOKWORM_6_1: KernelSpec = { name: "6.1", packages: ["linux-image-6.1.0-56-amd64"] };

const DEBIAN = "http://deb.debian.org/debian";
const SECURITY = "http://deb.debian.org/debian-security";

/** Debian bullseye's 5.10 (oldest kernel with BTF and ringbuf; no `syscall` prog type). */
export const BULLSEYE_5_10: KernelSpec = {
  name: "5.10",
  packages: ["linux-image-5.10.0-46-amd64"],
  sources: [`deb ${DEBIAN} bullseye main`, `deb ${SECURITY} bullseye-security main`],
};

/** Debian trixie's 6.12. */
export const TRIXIE_6_12: KernelSpec = {
  name: "6.12",
  packages: ["linux-image-6.12.118+deb13-amd64"],
  sources: [`deb ${DEBIAN} trixie main`, `deb ${SECURITY} trixie-security main`],
};

/** Debian sid's 7.2 (image and modules in separate packages, no modules.dep). */
export const SID_7_2: KernelSpec = {
  name: "7.2",
  packages: ["linux-binary-7.2.13+deb14-amd64", "linux-modules-7.2.13+deb14-amd64"],
  sources: [`deb ${DEBIAN} sid main`],
};

/** Root of the harness cache: `$ECLI_VM_CACHE` or `~/.cache/ecli-ts`. */
export function cacheRoot(): string {
  return Deno.env.get("ECLI_VM_CACHE") ?? join(homedir(), ".cache", "ecli-ts");
}

/** Runs a command; throws with its stderr when it fails. */
export async function run(
  cmd: string,
  args: string[],
  cwd?: string,
  env?: Record<string, string>,
): Promise<string> {
  const out = await new Deno.Command(cmd, { args, cwd, env, stdout: "piped", stderr: "piped" })
    .output();
  const td = new TextDecoder();
  if (!out.success) {
    throw new Error(`${cmd} ${args.join(" ")} failed (${out.code}): ${td.decode(out.stderr)}`);
  }
  return td.decode(out.stdout);
}

/** Installs the host tools the harness needs (qemu, busybox-static) with apt when missing. */
export async function ensureHostTools(): Promise<void> {
  const missing: string[] = [];
  if (!existsSync("/usr/bin/qemu-system-x86_64")) missing.push("qemu-system-x86");
  if (!existsSync("/bin/busybox")) missing.push("busybox-static");
  if (missing.length === 0) return;
  await run("apt-get", ["install", "-y", "--no-install-recommends", ...missing]);
}

/**
 * A private apt configuration for `sources` under the cache (lists fetched once), so kernels of
 * other Debian suites can be downloaded without touching /etc/apt. Returns its APT_CONFIG path.
 */
export async function privateApt(sources: string[]): Promise<string> {
  const key = sources.join("\n");
  const hash = Array.from(
    new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(key))),
  ).slice(0, 6).map((b) => b.toString(16).padStart(2, "0")).join("");
  const dir = join(cacheRoot(), "apt", hash);
  const conf = join(dir, "apt.conf");
  for (const d of ["lists/partial", "cache/archives/partial", "etc/parts", "etc/prefs", "state"]) {
    await Deno.mkdir(join(dir, d), { recursive: true });
  }
  await Deno.writeTextFile(join(dir, "state/status"), "", { append: true });
  await Deno.writeTextFile(join(dir, "etc/preferences"), "", { append: true });
  await Deno.writeTextFile(join(dir, "etc/sources.list"), key + "\n");
  await Deno.writeTextFile(
    conf,
    [
      `Dir::Etc::SourceList "${dir}/etc/sources.list";`,
      `Dir::Etc::SourceParts "${dir}/etc/parts";`,
      `Dir::Etc::Preferences "${dir}/etc/preferences";`,
      `Dir::Etc::PreferencesParts "${dir}/etc/prefs";`,
      `Dir::State "${dir}/state";`,
      `Dir::State::Lists "${dir}/lists";`,
      `Dir::State::status "${dir}/state/status";`,
      `Dir::Cache "${dir}/cache";`,
      `APT::Architecture "amd64";`,
      `Acquire::Languages "none";`,
      "",
    ].join("\n"),
  );
  const done = join(dir, ".updated");
  if (!existsSync(done)) {
    await run("apt-get", ["update"], undefined, { APT_CONFIG: conf });
    await Deno.writeTextFile(done, new Date().toISOString() + "\n");
  }
  return conf;
}

function findFirst(dir: string, pred: (path: string) => boolean): string | undefined {
  if (!existsSync(dir)) return undefined;
  for (const e of Deno.readDirSync(dir)) {
    const p = join(dir, e.name);
    if (pred(p)) return p;
  }
  return undefined;
}

const MAGICS: { magic: number[]; cmd: string[] }[] = [
  { magic: [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00], cmd: ["xz", "-dc"] },
  { magic: [0x28, 0xb5, 0x2f, 0xfd], cmd: ["zstd", "-dcq"] },
  { magic: [0x1f, 0x8b, 0x08], cmd: ["gzip", "-dc"] },
];

async function decompressFrom(data: Uint8Array, off: number, cmd: string[]): Promise<Uint8Array> {
  const child = new Deno.Command(cmd[0], {
    args: cmd.slice(1),
    stdin: "piped",
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const writer = child.stdin.getWriter();
  const write = writer.write(data.subarray(off)).then(() => writer.close()).catch(() => {});
  const out = await child.output();
  await write;
  return out.stdout;
}

/**
 * Takes the uncompressed ELF vmlinux out of a bzImage (xz, zstd or gzip payload): tries each
 * offset of each known magic until the decompressed stream is a 64-bit ELF.
 */
export async function extractVmlinux(bzImage: string, out: string): Promise<boolean> {
  const data = await Deno.readFile(bzImage);
  for (const { magic, cmd } of MAGICS) {
    for (let i = 0; i + magic.length <= data.length; i++) {
      if (data[i] !== magic[0] || !magic.every((b, j) => data[i + j] === b)) continue;
      const elf = await decompressFrom(data, i, cmd);
      if (
        elf.length > 1 << 20 && elf[0] === 0x7f && elf[1] === 0x45 && elf[2] === 0x4c &&
        elf[3] === 0x46 && elf[4] === 2
      ) {
        await Deno.writeFile(out, elf);
        return true;
      }
    }
  }
  return false;
}

/**
 * Downloads and unpacks a kernel into the cache (once; later calls reuse it) and returns what
 * qemu needs to boot it.
 */
export async function prepareKernel(spec: KernelSpec): Promise<PreparedKernel> {
  const dir = join(cacheRoot(), "kernels", spec.packages[0]);
  const root = join(dir, "root");
  const done = join(dir, ".unpacked");
  if (!existsSync(done)) {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
    await Deno.mkdir(root, { recursive: true });
    const tmp = await Deno.makeTempDir({ prefix: "ecli-vm-apt-" });
    try {
      const env = spec.sources ? { APT_CONFIG: await privateApt(spec.sources) } : undefined;
      await run("apt-get", ["download", ...spec.packages], tmp, env);
      for (const e of Deno.readDirSync(tmp)) {
        if (e.name.endsWith(".deb")) await run("dpkg-deb", ["-x", join(tmp, e.name), root]);
      }
    } finally {
      await Deno.remove(tmp, { recursive: true });
    }
    await Deno.writeTextFile(done, spec.packages.join("\n") + "\n");
  }
  const modRoot = [join(root, "lib/modules"), join(root, "usr/lib/modules")].find((d) =>
    existsSync(d)
  );
  if (!modRoot) throw new Error(`${spec.packages[0]}: no lib/modules in the package`);
  const moduleDir = findFirst(modRoot, (p) => existsSync(join(p, "kernel")));
  if (!moduleDir) throw new Error(`${spec.packages[0]}: no module tree`);
  const release = moduleDir.split("/").pop()!;
  const bzImage = [join(root, "boot", `vmlinuz-${release}`), join(moduleDir, "vmlinuz")].find((
    p,
  ) => existsSync(p));
  if (!bzImage) throw new Error(`${spec.packages[0]}: no vmlinuz for ${release}`);
  const vmlinux = join(dir, "vmlinux");
  let image = vmlinux;
  if (!existsSync(vmlinux) && !(await extractVmlinux(bzImage, vmlinux))) image = bzImage;
  return { spec, release, image, moduleDir, dir };
}
