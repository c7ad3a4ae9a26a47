/**
 * The benchmark's peers — cilium/ebpf (Go), BCC (Python), bpftrace — built or prepared when
 * their tools are installed, each skipped with one line when not. Nothing is installed here:
 * `tools/setup.sh --peers` does that (Debian packages only; Go builds offline against Debian's
 * cilium/ebpf sources in GOPATH mode).
 * @module
 */
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readdirSync } from "node:fs";
import { join } from "node:path";

const HERE = new URL(".", import.meta.url).pathname;
/** Where Debian's golang-github-cilium-ebpf-dev puts its sources. */
const GOCODE = "/usr/share/gocode";

/** The peers that could be prepared, and why the others are left out. */
export interface Peers {
  /** The Go consumer (`peer.go`), run in a mount namespace with debugfs mounted. */
  go?: string[];
  /** The BCC consumer (`peer_bcc.py`) and its environment. */
  bcc?: { argv: string[]; env: Record<string, string> };
  /** bpftrace's path. */
  bpftrace?: string;
  /** One line per peer left out. */
  notes: string[];
}

const has = (cmd: string, args: string[]) => spawnSync(cmd, args).status === 0;

/** Builds or checks each peer in `dir`. */
export function preparePeers(dir: string): Peers {
  const notes: string[] = [];
  const peers: Peers = { notes };
  // Go: GOPATH mode over Debian's sources, no network, no module download.
  if (!has("go", ["version"])) notes.push("no Go row: go not installed (golang-go)");
  else if (!existsSync(`${GOCODE}/src/github.com/cilium/ebpf/ringbuf`)) {
    notes.push("no Go row: golang-github-cilium-ebpf-dev not installed");
  } else {
    const src = join(dir, "gopath/src/peer");
    mkdirSync(src, { recursive: true });
    cpSync(join(HERE, "peer.go"), join(src, "main.go"));
    const exe = join(dir, "peer-go");
    const r = spawnSync("go", ["build", "-o", exe, "."], {
      cwd: src,
      encoding: "utf8",
      env: {
        ...Deno.env.toObject(),
        GO111MODULE: "off",
        GOFLAGS: "",
        GOPROXY: "off",
        GOPATH: `${GOCODE}:${join(dir, "gopath")}`,
        GOCACHE: join(dir, "gocache"),
      },
    });
    if (r.status !== 0) notes.push(`no Go row: go build failed: ${r.stderr.split("\n")[0]}`);
    // cilium/ebpf 0.9 looks for tracepoints under /sys/kernel/debug/tracing only.
    else {
      peers.go = [
        "unshare",
        "-m",
        "sh",
        "-c",
        'mount -t debugfs none /sys/kernel/debug 2>/dev/null; exec "$0" "$@"',
        exe,
      ];
    }
  }
  // BCC: Debian's python3 with python3-bpfcc, and kernel headers for its clang.
  const python = "/usr/bin/python3";
  if (!existsSync(python) || !has(python, ["-c", "import bcc"])) {
    notes.push("no Python row: python3-bpfcc not installed");
  } else {
    const headers = kernelHeaders(dir);
    if (!headers) notes.push("no Python row: no kernel headers for BCC (linux-headers-amd64)");
    else {
      peers.bcc = {
        argv: [python, join(HERE, "peer_bcc.py")],
        env: { BCC_KERNEL_SOURCE: headers },
      };
    }
  }
  if (!has("bpftrace", ["--version"])) notes.push("no bpftrace row: bpftrace not installed");
  else peers.bpftrace = "bpftrace";
  return peers;
}

/**
 * A kernel source tree BCC can compile against: the running kernel's build directory, else
 * Debian's newest `linux-headers-*-amd64` merged with its `-common` tree (BCC reads both
 * through one path; a program that uses no kernel struct does not care about the version).
 */
function kernelHeaders(dir: string): string | undefined {
  const own = `/lib/modules/${Deno.osRelease()}/build`;
  if (existsSync(own)) return own;
  if (!existsSync("/usr/src")) return undefined;
  const arch = readdirSync("/usr/src").filter((d) => /^linux-headers-.*-amd64$/.test(d)).sort()
    .at(-1);
  if (!arch) return undefined;
  const common = arch.replace(/-amd64$/, "-common");
  const tree = join(dir, "kernel-headers");
  for (const part of [common, arch]) {
    if (!existsSync(`/usr/src/${part}`)) continue;
    const r = spawnSync("cp", ["-rsf", `/usr/src/${part}/.`, `${tree}/`]);
    if (r.status !== 0 && !existsSync(tree)) return undefined;
  }
  return tree;
}
