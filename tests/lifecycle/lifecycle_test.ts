/**
 * Lifecycle torture: cycles of start → attach → stop of tracepoint, uprobe, tc and XDP programs
 * (tc and XDP on a veth pair in a network namespace this test makes), over every way a run can
 * end: SIGINT, SIGTERM, `--duration`, a handler exception, a handler's `process.exit`, and
 * SIGKILL of the CLI. Afterwards nothing of ours may be loaded (programs are recognised by
 * their `ecli_lc_` names: others load programs on this machine at the same time), no tc filter
 * or XDP program may be on the test interfaces, and a process that ran many cycles through the
 * API must hold exactly the fds it held before. The same with `ECLI_ATTACH=netlink` (what
 * kernels without tcx get) shows what SIGKILL leaves behind and that `ecli cleanup` removes
 * exactly that.
 *
 * `ECLI_LIFECYCLE_CYCLES` (default 48: two of each program × ending) sets the CLI cycles, spread over the four programs and
 * six endings; the API cycles are twice that.
 */
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { loadPackage, run as runApi } from "../../mod.ts";
import { compileForTest } from "../support/build.ts";
import { ROOT, startFollowed } from "../support/cli.ts";
import {
  buildHostTool,
  hostKernelTest,
  loadedProgramNames,
  run,
  scratchDir,
  until,
} from "../support/kernel.ts";

const CYCLES = Number(Deno.env.get("ECLI_LIFECYCLE_CYCLES") ?? 48);
const NS = `ecli16lc${Deno.pid}`;
/** The veth's far end lives in its own namespace, so a ping crosses the veth (not lo). */
const NS2 = `${NS}b`;
const dir = Deno.env.get("ECLI_LC_DIR") ?? scratchDir();

const TRIGGER = `
#include <stdio.h>
__attribute__((noinline)) int ecli_lc_mark(int x) { __asm__ volatile(""); return x + 1; }
int main(void) { return ecli_lc_mark(41) == 42 ? 0 : 1; }
`;

const EVENT = `
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
struct lc_event { int pid; int kind; };
struct { __uint(type, BPF_MAP_TYPE_RINGBUF); __uint(max_entries, 4096); } lc_events SEC(".maps");
static __always_inline void emit(int kind) {
  struct lc_event *e = bpf_ringbuf_reserve(&lc_events, sizeof(*e), 0);
  if (!e) return;
  e->pid = bpf_get_current_pid_tgid() >> 32;
  e->kind = kind;
  bpf_ringbuf_submit(e, 0);
}
char LICENSE[] SEC("license") = "GPL";
`;

const HEADER = `struct lc_event { int pid; int kind; };\n`;

/** The four programs: their source and how to make them fire. */
function programs(trigger: string) {
  return {
    tracepoint: `${EVENT}
SEC("tp/sched/sched_process_exec")
int ecli_lc_tp(void *ctx) { emit(1); return 0; }`,
    uprobe: `${EVENT}
SEC("uprobe/${trigger}:ecli_lc_mark")
int ecli_lc_up(void *ctx) { emit(2); return 0; }`,
    tc: `${EVENT}
SEC("tc")
int ecli_lc_tc(struct __sk_buff *skb) { emit(3); return 0; }`,
    xdp: `${EVENT}
SEC("xdp")
int ecli_lc_xdp(struct xdp_md *ctx) { emit(4); return XDP_PASS; }`,
  };
}

type ProgramKind = "tracepoint" | "uprobe" | "tc" | "xdp";
const KINDS: ProgramKind[] = ["tracepoint", "uprobe", "tc", "xdp"];
const ENDINGS = ["SIGINT", "SIGTERM", "duration", "exception", "exit", "SIGKILL"] as const;
type Ending = typeof ENDINGS[number];

const sh = (cmd: string, ...args: string[]) => run(cmd, args);
/** nsenter, not `ip netns exec`: that remounts /sys, hiding tracefs from the tracepoints. */
const NSENTER = (ns = NS) => [`--net=/run/netns/${ns}`];
const inNs = (ns: string, ...args: string[]) => run("nsenter", [...NSENTER(ns), ...args]);

/** lca (10.16.0.1, tc) in NS, its peer lcb (10.16.0.2, XDP) in NS2. */
function makeNetns(): { tcIf: number; xdpIf: number } {
  sh("ip", "netns", "add", NS);
  sh("ip", "netns", "add", NS2);
  sh("ip", "-n", NS, "link", "add", "lca", "type", "veth", "peer", "name", "lcb", "netns", NS2);
  sh("ip", "-n", NS, "addr", "add", "10.16.0.1/24", "dev", "lca");
  sh("ip", "-n", NS2, "addr", "add", "10.16.0.2/24", "dev", "lcb");
  sh("ip", "-n", NS, "link", "set", "lca", "up");
  sh("ip", "-n", NS2, "link", "set", "lcb", "up");
  const index = (ns: string, d: string) =>
    JSON.parse(sh("ip", "-n", ns, "-j", "link", "show", d))[0].ifindex;
  return { tcIf: index(NS, "lca"), xdpIf: index(NS2, "lcb") };
}

function deleteNetns(): void {
  for (const ns of [NS, NS2]) run("ip", ["netns", "del", ns]);
}

/** The namespace a program runs in: XDP's interface is in NS2, everything else in NS. */
const nsOf = (kind: ProgramKind) => kind === "xdp" ? NS2 : NS;

/** Builds the four packages, with tc on lca and XDP on lcb, and the uprobe's target. */
async function buildAll(net: { tcIf: number; xdpIf: number }) {
  const trigger = buildHostTool("ecli_lc_trigger", TRIGGER);
  const files = {} as Record<ProgramKind, string>;
  for (const [kind, source] of Object.entries(programs(trigger)) as [ProgramKind, string][]) {
    const d = join(dir, kind);
    Deno.mkdirSync(d, { recursive: true });
    writeFileSync(join(d, `lc_${kind}.bpf.c`), source);
    writeFileSync(join(d, `lc_${kind}.h`), HEADER);
    const r = await compileForTest({
      source: join(d, `lc_${kind}.bpf.c`),
      exportHeader: join(d, `lc_${kind}.h`),
      outputDir: d,
    });
    const doc = JSON.parse(readFileSync(r.files.package!, "utf8"));
    for (const p of doc.meta.bpf_skel.progs) {
      if (kind === "tc") p.tchook = { ifindex: net.tcIf, attach_point: "BPF_TC_INGRESS" };
      if (kind === "xdp") p.ifindex = net.xdpIf;
    }
    writeFileSync(r.files.package!, JSON.stringify(doc));
    files[kind] = r.files.package!;
  }
  return { trigger, files };
}

/**
 * Makes `kind` fire once: exec the trigger (tracepoint, uprobe), or send a UDP datagram across
 * the veth with bash's /dev/udp (no ping on a minimal machine): lcb's XDP sees it (and the
 * ARP request before it), lca's tc ingress sees the ARP reply and the ICMP port unreachable.
 */
function fire(kind: ProgramKind, trigger: string): void {
  const [cmd, args] = kind === "tc" || kind === "xdp"
    ? ["nsenter", [...NSENTER(NS), "bash", "-c", "echo x > /dev/udp/10.16.0.2/9"]]
    : [trigger, []];
  new Deno.Command(cmd as string, { args: args as string[], stdout: "null", stderr: "null" })
    .spawn();
}

/** The fastest start: the compiled binary when it is built, else `deno run cli.ts`. */
function ecli(): [string, string[]] {
  const bin = `${ROOT}/dist/ecli`;
  return existsSync(bin) ? [bin, []] : ["deno", ["run", "-A", `${ROOT}/cli.ts`]];
}

/** One CLI cycle; returns the exit code. */
async function cycle(
  file: string,
  kind: ProgramKind,
  ending: Ending,
  trigger: string,
  env: Record<string, string> = {},
): Promise<number> {
  const [bin, pre] = ecli();
  const extra = ending === "duration"
    ? ["--duration", "0.2"]
    : ending === "exception"
    ? ["-e", 'throw new Error("ecli_lc boom")']
    : ending === "exit"
    ? ["-e", "process.exit(3)"]
    : [];
  const r = startFollowed(
    "nsenter",
    [
      ...NSENTER(nsOf(kind)),
      "env",
      ...Object.entries(env).map(([k, v]) => `${k}=${v}`),
      bin,
      ...pre,
      "run",
      "--json",
      file,
      ...extra,
    ],
    { cwd: ROOT },
  );
  await r.attached.catch((e) => {
    throw new Error(`${file}: ${e.message}`);
  });
  if (ending.startsWith("SIG")) return (await r.stop(ending as Deno.Signal)).code;
  // Handler endings need an event; --duration ends by itself.
  let done = false;
  const result = r.done.finally(() => done = true);
  const end = Date.now() + 10_000;
  while (!done && Date.now() < end) {
    if (ending !== "duration") fire(kind, trigger);
    await new Promise((res) => setTimeout(res, 30));
  }
  if (!done) await r.stop("SIGKILL");
  const out = await result;
  if (ending === "exception") assert.match(out.stderr, /ecli_lc boom/);
  return out.code;
}

const ours = () => loadedProgramNames().filter((n) => n.startsWith("ecli_lc_"));

/** What the kernel shows of ours on the test interfaces: tc filters and XDP programs. */
function onInterfaces(): string[] {
  const out: string[] = [];
  for (const [ns, d] of [[NS, "lca"], [NS2, "lcb"]]) {
    for (const dirn of ["ingress", "egress"]) {
      const f = inNs(ns, "tc", "filter", "show", "dev", d, dirn).trim();
      if (f) out.push(`${d} ${dirn}: ${f}`);
    }
    if (/xdp/.test(inNs(ns, "ip", "link", "show", "dev", d))) out.push(`${d}: xdp`);
  }
  return out;
}

const EXPECTED_CODE: Record<Ending, number[]> = {
  SIGINT: [0],
  SIGTERM: [0],
  duration: [0],
  exception: [1],
  exit: [3],
  SIGKILL: [137],
};

hostKernelTest(
  `lifecycle: ${CYCLES} CLI cycles of tracepoint/uprobe/tc/XDP over six endings leave nothing`,
  async () => {
    const net = makeNetns();
    try {
      const { trigger, files } = await buildAll(net);
      const counts: Record<string, number> = {};
      for (let i = 0; i < CYCLES; i++) {
        const kind = KINDS[i % KINDS.length];
        const ending = ENDINGS[Math.floor(i / KINDS.length) % ENDINGS.length];
        const code = await cycle(files[kind], kind, ending, trigger);
        assert.ok(
          EXPECTED_CODE[ending].includes(code),
          `${kind} ended by ${ending}: exit code ${code}`,
        );
        counts[`${kind}/${ending}`] = (counts[`${kind}/${ending}`] ?? 0) + 1;
        // Links (perf, uprobe, tcx, XDP) die with the process; the kernel frees the programs
        // after an RCU grace period.
        if (i % 12 === 11 || i === CYCLES - 1) {
          assert.ok(await until(() => ours().length === 0, 5000), `after cycle ${i}: ${ours()}`);
          assert.deepEqual(onInterfaces(), [], `after cycle ${i}`);
        }
      }
      console.log(`lifecycle: ${JSON.stringify(counts)}`);
    } finally {
      deleteNetns();
    }
  },
);

hostKernelTest(
  "lifecycle: SIGKILL of a netlink-attached run leaves its tc filter and XDP program, and ecli cleanup removes exactly those",
  async () => {
    const net = makeNetns();
    const runDir = join(dir, "run");
    try {
      const { trigger, files } = await buildAll(net);
      const env = { ECLI_ATTACH: "netlink", ECLI_RUN_DIR: runDir };
      for (const kind of ["tc", "xdp"] as const) {
        // A clean ending removes the netlink attachment and its record.
        assert.equal(await cycle(files[kind], kind, "SIGINT", trigger, env), 0);
        assert.deepEqual(onInterfaces(), []);
        assert.deepEqual(readdirSync(runDir), []);
      }
      for (const kind of ["tc", "xdp"] as const) {
        assert.equal(await cycle(files[kind], kind, "SIGKILL", trigger, env), 137);
      }
      const left = onInterfaces();
      assert.equal(left.length, 2, left.join("\n"));
      assert.match(left[0], /^lca ingress: .*ecli_lc_tc/s);
      assert.equal(left[1], "lcb: xdp");
      const [bin, pre] = ecli();
      // One cleanup per namespace: an ifindex means something only in its own.
      const out = inNs(NS, "env", `ECLI_RUN_DIR=${runDir}`, bin, ...pre, "cleanup") +
        inNs(NS2, "env", `ECLI_RUN_DIR=${runDir}`, bin, ...pre, "cleanup");
      const lines = out.trim().split("\n");
      assert.equal(lines.length, 2, out);
      assert.match(
        lines[0],
        new RegExp(
          `^removed pid \\d+: tc filter 'ecli_lc_tc' \\(prog id \\d+\\) on ifindex ${net.tcIf} ingress handle 1 pref 1$`,
        ),
      );
      assert.match(
        lines[1],
        new RegExp(
          `^removed pid \\d+: XDP program 'ecli_lc_xdp' \\(prog id \\d+\\) on ifindex ${net.xdpIf}$`,
        ),
      );
      assert.deepEqual(onInterfaces(), []);
      assert.ok(await until(() => ours().length === 0, 5000), `${ours()}`);
      assert.equal(
        inNs(NS, "env", `ECLI_RUN_DIR=${runDir}`, bin, ...pre, "cleanup").trim(),
        "nothing to clean up",
      );
    } finally {
      deleteNetns();
    }
  },
);

hostKernelTest(
  `lifecycle: ${2 * CYCLES} API cycles (run, first event or none, stop) keep the process's fds`,
  async () => {
    const pkg = await loadPackage(
      (await buildAll({ tcIf: 1, xdpIf: 1 })).files.tracepoint,
    );
    // The fds that would leak: BPF programs, maps and links, perf events. (The runtime's own
    // epoll and eventfds come and go with its thread pool.)
    const fds = () =>
      readdirSync("/proc/self/fd").map((fd) => {
        try {
          return Deno.readLinkSync(`/proc/self/fd/${fd}`);
        } catch {
          return "";
        }
      }).filter((l) => /bpf|perf_event/.test(l)).sort();
    // One warm-up cycle: the runtime opens its own fds (FFI libraries) once.
    const warm = await runApi(pkg);
    warm.stop();
    await warm.done;
    const before = fds();
    for (let i = 0; i < 2 * CYCLES; i++) {
      const prog = await runApi(pkg);
      if (i % 2) new Deno.Command("/bin/true").spawn();
      prog.stop();
      await prog.done;
    }
    assert.deepEqual(fds(), before);
    assert.ok(await until(() => ours().length === 0, 5000), `${ours()}`);
  },
);
