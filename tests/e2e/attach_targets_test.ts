/**
 * Run-time attach targets end to end (`--attach PROG=TARGET`, `--pid`): one prebuilt uprobe
 * package attached to two different binaries built here, a USDT probe of a program built
 * with <sys/sdt.h>, and a tc + XDP package attached by interface name to a veth in network
 * namespaces the test creates. Bad targets are refused before anything is loaded, one line
 * each.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { compileExample, compileForTest } from "../support/build.ts";
import { cliCommand, runCli, startFollowed, startRun, waitFor } from "../support/cli.ts";
import { hostKernelTest, run } from "../support/kernel.ts";

const work = mkdtempSync(join(tmpdir(), "ecli-targets-e2e-"));
const tag = `${Deno.pid % 100000}`;

/** Builds a host C program named `name` (its comm); returns its path. */
function buildC(name: string, source: string): string {
  const path = join(work, name);
  writeFileSync(`${path}.c`, source);
  const r = spawnSync("clang", ["-O1", "-g", "-o", path, `${path}.c`], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`clang ${name}.c: ${r.stderr}`);
  return path;
}

/** Waits for one line on stdin, then calls the function once and exits. */
const CALLER = (fn: string, a: number, b: number) => `
#include <stdio.h>
__attribute__((noinline)) long ${fn}(long a, long b) { __asm__ volatile(""); return a * 3 + b; }
int main(void) { char line[8]; if (!fgets(line, sizeof line, stdin)) return 1;
  printf("%ld\\n", ${fn}(${a}, ${b})); return 0; }
`;

function jsonLines(text: string): Record<string, unknown>[] {
  return text.split("\n").filter((l) => l.trim()).map((l) => JSON.parse(l));
}

/** A caller process waiting for its go line. */
function spawnCaller(path: string) {
  const child = new Deno.Command(path, { stdin: "piped", stdout: "null", stderr: "null" }).spawn();
  return {
    pid: child.pid,
    async go() {
      const w = child.stdin.getWriter();
      await w.write(new TextEncoder().encode("go\n"));
      await w.close();
      return (await child.status).code;
    },
  };
}

const uprobePkg = compileExample("uprobe", work);

hostKernelTest("one uprobe package attaches to two binaries given at run time", async () => {
  const adder = buildC(`add${tag}`, CALLER("add_marker", 7, -35));
  const muller = buildC(`mul${tag}`, CALLER("mul_marker", 6, 9));
  const pkg = await uprobePkg;

  const a = spawnCaller(adder);
  const first = startRun([pkg, "--json", "--attach", `handle_call=${adder}:add_marker`]);
  await first.attached;
  assert.equal(await a.go(), 0);
  await waitFor(first, (o) => o.includes("add_marker") || o.includes(`"pid":${a.pid}`));
  const r1 = await first.stop("SIGINT");
  assert.equal(r1.code, 0, r1.stderr);
  assert.deepEqual(jsonLines(r1.stdout), [{ pid: a.pid, comm: `add${tag}`, arg0: 7, arg1: -35 }]);

  // The same package on another binary, limited to one of two processes running it.
  const mine = spawnCaller(muller);
  const other = spawnCaller(muller);
  const second = startRun([
    pkg,
    "--json",
    "--attach",
    `handle_call=${muller}:mul_marker`,
    "--pid",
    String(mine.pid),
  ]);
  await second.attached;
  assert.equal(await other.go(), 0);
  assert.equal(await mine.go(), 0);
  await waitFor(second, (o) => o.includes(`"pid":${mine.pid}`));
  const r2 = await second.stop("SIGINT");
  assert.equal(r2.code, 0, r2.stderr);
  assert.deepEqual(jsonLines(r2.stdout), [{ pid: mine.pid, comm: `mul${tag}`, arg0: 6, arg1: 9 }]);
});

/** Installs <sys/sdt.h> (Debian's systemtap-sdt-dev) when it is missing. */
function ensureSdtHeader(): void {
  const have = () =>
    existsSync("/usr/include/x86_64-linux-gnu/sys/sdt.h") || existsSync("/usr/include/sys/sdt.h");
  if (have()) return;
  const r = spawnSync("apt-get", [
    "-o",
    "DPkg::Lock::Timeout=600",
    "install",
    "-y",
    "-qq",
    "--no-install-recommends",
    "systemtap-sdt-dev",
  ], { encoding: "utf8", env: { ...Deno.env.toObject(), DEBIAN_FRONTEND: "noninteractive" } });
  if (!have()) throw new Error(`installing systemtap-sdt-dev failed: ${r.stderr}`);
}

hostKernelTest("a USDT probe's arguments decode", async () => {
  ensureSdtHeader();
  const ticker = buildC(
    `sdt${tag}`,
    `#include <sys/sdt.h>
#include <stdio.h>
int main(void) {
  char line[8]; if (!fgets(line, sizeof line, stdin)) return 1;
  long neg = -123456789012L;
  for (int i = 0; i < 3; i++) { long v = 40 + i; DTRACE_PROBE2(ecli_test, tick, v, neg); }
  return 0;
}`,
  );
  const pkg = await compileExample("usdt", work);
  const caller = spawnCaller(ticker);
  const r = startRun([pkg, "--json", "--attach", `handle_hit=${ticker}:ecli_test:tick`]);
  await r.attached;
  assert.equal(await caller.go(), 0);
  await waitFor(r, (o) => o.split("\n").filter((l) => l.trim()).length >= 3);
  const out = await r.stop("SIGINT");
  assert.equal(out.code, 0, out.stderr);
  const hit = (arg0: number) => ({ pid: caller.pid, comm: `sdt${tag}`, arg0, arg1: -123456789012 });
  assert.deepEqual(jsonLines(out.stdout), [hit(40), hit(41), hit(42)]);
});

const NET_SOURCE = `
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

struct packet { unsigned int hook; unsigned int ifindex; unsigned int len; };
struct { __uint(type, BPF_MAP_TYPE_RINGBUF); __uint(max_entries, 64 * 1024); } packets SEC(".maps");

static void report(unsigned int hook, unsigned int ifindex, unsigned int len)
{
	struct packet *p = bpf_ringbuf_reserve(&packets, sizeof(*p), 0);
	if (!p) return;
	p->hook = hook; p->ifindex = ifindex; p->len = len;
	bpf_ringbuf_submit(p, 0);
}

SEC("xdp")
int count_xdp(struct xdp_md *ctx)
{
	report(1, ctx->ingress_ifindex, ctx->data_end - ctx->data);
	return XDP_PASS;
}

SEC("tc")
int count_tc(struct __sk_buff *skb)
{
	report(2, skb->ifindex, skb->len);
	return 0; /* TC_ACT_OK */
}

char LICENSE[] SEC("license") = "GPL";
`;

const NET_HEADER =
  `struct packet { unsigned int hook; unsigned int ifindex; unsigned int len; };\n`;

async function netPackage(): Promise<string> {
  const dir = join(work, "net");
  Deno.mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "netcount.bpf.c"), NET_SOURCE);
  writeFileSync(join(dir, "netcount.h"), NET_HEADER);
  const r = await compileForTest({
    source: join(dir, "netcount.bpf.c"),
    exportHeader: join(dir, "netcount.h"),
    outputDir: dir,
  });
  return r.files.package!;
}

hostKernelTest("a tc + XDP package attaches by interface name to a veth in a netns", async () => {
  const [nsA, nsB, vA, vB] = [`e17a${tag}`, `e17b${tag}`, `e17va${tag}`, `e17vb${tag}`];
  const subnet = `10.217.${Number(tag) % 250}`;
  const pkg = await netPackage();
  try {
    run("ip", ["netns", "add", nsA]);
    run("ip", ["netns", "add", nsB]);
    run("ip", ["link", "add", vA, "netns", nsA, "type", "veth", "peer", "name", vB, "netns", nsB]);
    run("ip", ["-n", nsA, "addr", "add", `${subnet}.1/24`, "dev", vA]);
    run("ip", ["-n", nsB, "addr", "add", `${subnet}.2/24`, "dev", vB]);
    run("ip", ["-n", nsA, "link", "set", vA, "up"]);
    run("ip", ["-n", nsB, "link", "set", vB, "up"]);
    const ifindex = Number(
      (JSON.parse(run("ip", ["-n", nsA, "-j", "link", "show", vA])) as { ifindex: number }[])[0]
        .ifindex,
    );
    const [bin, argv] = cliCommand([
      "run",
      pkg,
      "--json",
      "--attach",
      `count_xdp=${vA}`,
      "--attach",
      `count_tc=${vA}:ingress`,
    ]);
    const r = startFollowed("ip", ["netns", "exec", nsA, bin, ...argv], { cwd: work });
    await r.attached;
    assert.match(run("ip", ["-n", nsA, "link", "show", vA]), /xdp/);
    // One UDP datagram from the other namespace: 14 + 20 + 8 + 3 bytes on the wire.
    run("ip", ["netns", "exec", nsB, "bash", "-c", `echo hi > /dev/udp/${subnet}.1/9999`]);
    const udp = (hook: number) => `{"hook":${hook},"ifindex":${ifindex},"len":45}`;
    await waitFor(r, (o) => o.includes(udp(1)) && o.includes(udp(2)), 10_000);
    const out = await r.stop("SIGINT");
    assert.equal(out.code, 0, out.stderr);
    const events = jsonLines(out.stdout);
    assert.ok(
      events.some((e) => e.hook === 1 && e.ifindex === ifindex && e.len === 45),
      out.stdout,
    );
    assert.ok(
      events.some((e) => e.hook === 2 && e.ifindex === ifindex && e.len === 45),
      out.stdout,
    );
    assert.ok(events.every((e) => e.ifindex === ifindex), "only the veth's packets");
    assert.doesNotMatch(run("ip", ["-n", nsA, "link", "show", vA]), /xdp/, "XDP detached");
    assert.equal(run("tc", ["-n", nsA, "filter", "show", "dev", vA, "ingress"]).trim(), "");
  } finally {
    spawnSync("ip", ["netns", "del", nsA]);
    spawnSync("ip", ["netns", "del", nsB]);
  }
});

hostKernelTest("bad attach targets are one error line each, before anything loads", async () => {
  const pkg = await uprobePkg;
  const net = await netPackage();
  const cases: [string[], string][] = [
    [
      [pkg],
      `program 'handle_call' (SEC("uprobe")) has no target: give one with ` +
      `--attach handle_call=/path/bin:symbol[+offset]`,
    ],
    [
      [pkg, "--attach", "handle_call=/nonexistent/bin:main"],
      "--attach handle_call: no such binary '/nonexistent/bin'",
    ],
    [
      [pkg, "--attach", "handle_call=/bin/true:no_such_function_here"],
      "--attach handle_call: no function 'no_such_function_here' in '/bin/true'",
    ],
    [
      [pkg, "--attach", "nope=/bin/true:main"],
      "--attach nope: no program 'nope' (programs: handle_call)",
    ],
    [[pkg, "--attach", "handle_call"], "--attach 'handle_call': expected PROG=TARGET"],
    [
      [net, "--attach", `count_xdp=nosuch${tag}`],
      `--attach count_xdp: no network interface 'nosuch${tag}'`,
    ],
    [
      [net, "--attach", "count_tc=lo:sideways"],
      "--attach count_tc: bad tc target " +
      "'lo:sideways': not an interface name with an optional :ingress or :egress " +
      "(expected ifname[:ingress|egress])",
    ],
  ];
  for (const [args, message] of cases) {
    const r = await runCli(["run", ...args]);
    assert.equal(r.code, 1, args.join(" "));
    assert.equal(r.stderr, `ecli: error: ${message}\n`);
    assert.equal(r.stdout, "");
  }
});
