/**
 * The harness initramfs: busybox-static, the 9p/virtio/overlay modules of one kernel (with their
 * dependencies, read from each module's `.modinfo`), and an `/init` that mounts the host root
 * over 9p (`cache=loose`, which keeps big binaries such as deno in the guest page cache), chroots
 * into it, runs the job script, and reports its exit code through `isa-debug-exit`.
 * @module
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { type CpioEntry, writeCpio } from "./cpio.ts";
import type { PreparedKernel } from "./kernel.ts";

/** Marker lines the init prints on the console; the harness parses them. */
export const MARKER = "ECLI-VM:";

/** Modules the init needs (those built in are skipped). */
// The host root has no modules for the guest's kernel: what the tests need is loaded here
// (tc's clsact qdisc and BPF classifier are modules on Debian's 5.10 and 6.1).
export const WANTED_MODULES = [
  "virtio_pci",
  "9pnet_virtio",
  "9p",
  "overlay",
  "sch_ingress",
  "cls_bpf",
];

/** The guest's /init. Job script: /run/vmjob/cmd.sh (a second 9p share, read-write). */
export const INIT_SCRIPT = `#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
echo "${MARKER} init uptime=$(cut -d' ' -f1 /proc/uptime)"
for m in $(cat /lib/modules/order); do
  insmod /lib/modules/$m.ko || echo "${MARKER} insmod $m failed"
done
i=0; while ! grep -q hostroot /sys/bus/virtio/drivers/9pnet_virtio/*/mount_tag 2>/dev/null; do
  i=$((i+1)); [ $i -gt 50 ] && break; sleep 0.1; done
R=/newroot
O9="trans=virtio,version=9p2000.L,msize=524288,cache=loose"
if [ "\${vmoverlay:-1}" = 1 ]; then
  mkdir -p /lower /ovl
  mount -t 9p -o "$O9,ro" hostroot /lower || echo "${MARKER} 9p root mount failed"
  mount -t tmpfs tmpfs /ovl; mkdir -p /ovl/u /ovl/w
  mount -t overlay overlay -o lowerdir=/lower,upperdir=/ovl/u,workdir=/ovl/w $R ||
    echo "${MARKER} overlay failed"
else
  mount -t 9p -o "$O9,ro" hostroot $R || echo "${MARKER} 9p root mount failed"
fi
mount -t proc proc $R/proc
mount -t sysfs sys $R/sys
mount -t devtmpfs dev $R/dev
mkdir -p $R/dev/pts $R/dev/shm
mount -t devpts devpts $R/dev/pts
mount -t tmpfs tmpfs $R/dev/shm
mount -t bpf bpf $R/sys/fs/bpf
mount -t tracefs tracefs $R/sys/kernel/tracing
mount -t debugfs debugfs $R/sys/kernel/debug
mount -t securityfs securityfs $R/sys/kernel/security 2>/dev/null
mount -t tmpfs tmpfs $R/run
[ "\${vmoverlay:-1}" = 1 ] || mount -t tmpfs tmpfs $R/tmp
mkdir -p $R/run/vmjob
mount -t 9p -o "trans=virtio,version=9p2000.L,msize=524288" vmjob $R/run/vmjob ||
  echo "${MARKER} 9p job mount failed"
# Loopback up: tests serve packages over http://127.0.0.1 and attach tc/XDP to lo.
ip link set lo up || echo "${MARKER} lo up failed"
echo "${MARKER} start uptime=$(cut -d' ' -f1 /proc/uptime)"
chroot $R /usr/bin/env -i HOME=/tmp PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \\
  TERM=dumb /bin/sh /run/vmjob/cmd.sh
rc=$?
echo "${MARKER} rc=$rc uptime=$(cut -d' ' -f1 /proc/uptime)"
sync
if [ -e /dev/port ]; then
  printf "\\\\$(printf %o $((rc & 0x7f)))" | dd of=/dev/port bs=1 seek=244 count=1 2>/dev/null
fi
poweroff -f
`;

function moduleIndex(dir: string, index = new Map<string, string>()): Map<string, string> {
  for (const e of Deno.readDirSync(dir)) {
    const p = join(dir, e.name);
    if (e.isDirectory) moduleIndex(p, index);
    const m = e.name.match(/^(.*)\.ko(\.xz|\.zst)?$/);
    if (m) index.set(m[1].replaceAll("-", "_"), p);
  }
  return index;
}

async function moduleBytes(path: string): Promise<Uint8Array> {
  if (path.endsWith(".ko")) return await Deno.readFile(path);
  const cmd = path.endsWith(".xz") ? ["xz", "-dc", path] : ["zstd", "-qdc", path];
  const out = await new Deno.Command(cmd[0], { args: cmd.slice(1), stdout: "piped" }).output();
  if (!out.success) throw new Error(`cannot decompress ${path}`);
  return out.stdout;
}

/** The `depends=` field of a module's `.modinfo` (what `modinfo -F depends` prints). */
export function moduleDepends(ko: Uint8Array): string[] {
  const text = new TextDecoder("latin1").decode(ko);
  const m = text.match(/\0depends=([^\0]*)\0/);
  return m && m[1] ? m[1].split(",").filter(Boolean) : [];
}

/**
 * Builds (once per kernel) the uncompressed initramfs for a prepared kernel and returns its path.
 */
export async function buildInitramfs(kernel: PreparedKernel): Promise<string> {
  // Named by the init script's hash: a changed script builds a new image instead of reusing one.
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(INIT_SCRIPT));
  const tag = Array.from(new Uint8Array(digest).slice(0, 4), (b) => b.toString(16).padStart(2, "0"))
    .join("");
  const out = join(kernel.dir, `initramfs-${tag}.cpio`);
  if (existsSync(out)) return out;
  const index = moduleIndex(join(kernel.moduleDir, "kernel"));
  const loaded = new Map<string, Uint8Array>();
  const order: string[] = [];
  const add = async (name: string) => {
    const key = name.replaceAll("-", "_");
    if (loaded.has(key)) return;
    const path = index.get(key);
    if (!path) return; // built in
    const bytes = await moduleBytes(path);
    loaded.set(key, bytes);
    for (const dep of moduleDepends(bytes)) await add(dep);
    order.push(key);
  };
  for (const m of WANTED_MODULES) await add(m);
  const enc = new TextEncoder();
  const entries: CpioEntry[] = [
    ...["bin", "dev", "proc", "sys", "newroot", "lib", "lib/modules", "run", "tmp"].map((
      path,
    ) => ({ kind: "dir" as const, path })),
    { kind: "chardev", path: "dev/console", major: 5, minor: 1 },
    { kind: "file", path: "bin/busybox", data: await Deno.readFile("/bin/busybox"), mode: 0o755 },
    { kind: "file", path: "init", data: enc.encode(INIT_SCRIPT), mode: 0o755 },
    { kind: "file", path: "lib/modules/order", data: enc.encode(order.join("\n") + "\n") },
    ...order.map((m) => ({
      kind: "file" as const,
      path: `lib/modules/${m}.ko`,
      data: loaded.get(m)!,
    })),
  ];
  const tmp = `${out}.tmp`;
  await Deno.writeFile(tmp, writeCpio(entries));
  await Deno.rename(tmp, out);
  return out;
}
