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

/**
 * A kernel of the matrix: a label and the Debian suite(s) whose `linux-image-amd64` picks it.
 * The versioned packages are resolved from the suite's current index (Debian replaces a kernel
 * ABI's packages with the next one's, so a pinned name would stop downloading one day).
 */
export interface KernelSpec {
  /** Short label for tables, e.g. "6.1", or "7.x" for whatever sid carries. */
  name: string;
  /** `deb` lines of a private apt configuration under the cache (/etc/apt is never touched). */
  sources: string[];
  /** Exact packages instead of resolving `linux-image-amd64` (tests, or to pin one ABI). */
  packages?: string[];
}

/** A kernel ready to boot. */
export interface PreparedKernel {
  spec: KernelSpec;
  /** The Debian packages it came from. */
  packages: string[];
  /** Kernel release, e.g. "6.1.0-56-amd64". */
  release: string;
  /** Uncompressed ELF vmlinux (PVH entry), or the bzImage when extraction failed. */
  image: string;
  /** `lib/modules/RELEASE` of the unpacked packages. */
  moduleDir: string;
  /** This kernel's cache directory (initramfs and job dirs go there). */
  dir: string;
}

const DEBIAN = "http://deb.debian.org/debian";
const SECURITY = "http://deb.debian.org/debian-security";

/** Debian bullseye's 5.10 (oldest kernel with BTF and ringbuf; no `syscall` prog type). */
export const BULLSEYE_5_10: KernelSpec = {
  name: "5.10",
  sources: [`deb ${DEBIAN} bullseye main`, `deb ${SECURITY} bullseye-security main`],
};

/** Debian bookworm's 6.1 (the host distribution's kernel). */
export const BOOKWORM_6_1: KernelSpec = {
  name: "6.1",
  sources: [`deb ${DEBIAN} bookworm main`, `deb ${SECURITY} bookworm-security main`],
};

/** Debian trixie's 6.12. */
export const TRIXIE_6_12: KernelSpec = {
  name: "6.12",
  sources: [`deb ${DEBIAN} trixie main`, `deb ${SECURITY} trixie-security main`],
};

/** Debian sid's newest 7.x (image and modules in separate packages, no modules.dep). */
export const SID_7: KernelSpec = { name: "7.x", sources: [`deb ${DEBIAN} sid main`] };

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

/**
 * Installs the host tools the harness needs with apt when missing: qemu, busybox-static for the
 * initramfs, xz and zstd to unpack kernels and modules.
 */
export function ensureHostTools(): Promise<void> {
  // Once per process: VMs prepared at the same time would otherwise race for apt's lock.
  hostTools ??= installHostTools();
  hostTools.catch(() => hostTools = undefined);
  return hostTools;
}

let hostTools: Promise<void> | undefined;

async function installHostTools(): Promise<void> {
  const missing: string[] = [];
  // By package, not by path: the dynamically linked `busybox` would install /bin/busybox too.
  for (const pkg of ["qemu-system-x86", "busybox-static", "xz-utils", "zstd"]) {
    const q = await new Deno.Command("dpkg-query", {
      args: ["-W", "-f=${Status}", pkg],
      stdout: "piped",
      stderr: "null",
    }).output();
    if (!new TextDecoder().decode(q.stdout).endsWith("installed")) missing.push(pkg);
  }
  if (missing.length === 0) return;
  const env = { DEBIAN_FRONTEND: "noninteractive" };
  await run("apt-get", ["update", "-qq"], undefined, env);
  await run(
    "apt-get",
    ["install", "-y", "-qq", "--no-install-recommends", ...missing],
    undefined,
    env,
  );
}

/** Package lists older than this are fetched again (a security update replaces the kernel). */
const LIST_MAX_AGE_MS = 24 * 3600_000;

/**
 * A private apt configuration for `sources` under the cache (lists fetched once), so kernels of
 * other Debian suites can be downloaded without touching /etc/apt. Returns its APT_CONFIG path.
 */
export async function privateApt(sources: string[], refresh = false): Promise<string> {
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
  const stamp = join(dir, ".updated");
  const age = existsSync(stamp) ? Date.now() - Deno.statSync(stamp).mtime!.getTime() : Infinity;
  if (refresh || age > LIST_MAX_AGE_MS) {
    try {
      await run("apt-get", ["update"], undefined, { APT_CONFIG: conf });
      await Deno.writeTextFile(stamp, new Date().toISOString() + "\n");
    } catch (e) {
      // Offline with lists from an earlier run: resolve from those (and say so).
      if (!existsSync(stamp)) throw e;
      console.error(
        `apt-get update failed; using the package lists of ${Deno.readTextFileSync(stamp).trim()}`,
      );
    }
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
 * The versioned packages that `linux-image-amd64` of `spec`'s suite pulls in (image, and on 7.x
 * the separate binary and modules packages), followed through its dependencies.
 */
export async function resolvePackages(spec: KernelSpec, refresh = false): Promise<string[]> {
  if (spec.packages) return spec.packages;
  const env = { APT_CONFIG: await privateApt(spec.sources, refresh) };
  const found: string[] = [];
  const queue = ["linux-image-amd64"];
  for (let pkg = queue.shift(); pkg; pkg = queue.shift()) {
    const deps = await run("apt-cache", ["depends", pkg], undefined, env);
    for (const m of deps.matchAll(/^\s+Depends: (linux-(?:image|binary|modules)-\d\S*)$/gm)) {
      if (!found.includes(m[1])) {
        found.push(m[1]);
        queue.push(m[1]);
      }
    }
  }
  if (found.length === 0) throw new Error(`${spec.name}: linux-image-amd64 depends on no kernel`);
  return found;
}

async function download(spec: KernelSpec, packages: string[], into: string): Promise<void> {
  const env = { APT_CONFIG: await privateApt(spec.sources) };
  try {
    await run("apt-get", ["download", ...packages], into, env);
  } catch {
    // Lists younger than a day may still name a version the mirror has just replaced.
    await privateApt(spec.sources, true);
    await run("apt-get", ["download", ...packages], into, env);
  }
}

/**
 * Resolves, downloads and unpacks a kernel into the cache (once per kernel version; later calls
 * reuse it) and returns what qemu needs to boot it.
 */
export async function prepareKernel(spec: KernelSpec): Promise<PreparedKernel> {
  const packages = await resolvePackages(spec);
  const dir = join(cacheRoot(), "kernels", packages[0]);
  const root = join(dir, "root");
  const done = join(dir, ".unpacked");
  if (!existsSync(done)) {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
    await Deno.mkdir(root, { recursive: true });
    const tmp = await Deno.makeTempDir({ prefix: "ecli-vm-apt-" });
    try {
      await download(spec, packages, tmp);
      for (const e of Deno.readDirSync(tmp)) {
        if (e.name.endsWith(".deb")) await run("dpkg-deb", ["-x", join(tmp, e.name), root]);
      }
    } finally {
      await Deno.remove(tmp, { recursive: true });
    }
    await Deno.writeTextFile(done, packages.join("\n") + "\n");
  }
  const modRoot = [join(root, "lib/modules"), join(root, "usr/lib/modules")].find((d) =>
    existsSync(d)
  );
  if (!modRoot) throw new Error(`${packages[0]}: no lib/modules in the package`);
  const moduleDir = findFirst(modRoot, (p) => existsSync(join(p, "kernel")));
  if (!moduleDir) throw new Error(`${packages[0]}: no module tree`);
  const release = moduleDir.split("/").pop()!;
  const bzImage = [join(root, "boot", `vmlinuz-${release}`), join(moduleDir, "vmlinuz")].find((
    p,
  ) => existsSync(p));
  if (!bzImage) throw new Error(`${packages[0]}: no vmlinuz for ${release}`);
  const vmlinux = join(dir, "vmlinux");
  let image = vmlinux;
  if (!existsSync(vmlinux) && !(await extractVmlinux(bzImage, vmlinux))) image = bzImage;
  return { spec, packages, release, image, moduleDir, dir };
}
