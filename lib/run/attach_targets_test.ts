import assert from "node:assert/strict";
import type { Meta } from "../package/mod.ts";
import { formatAttachTargets, resolveAttachTargets } from "./attach_targets.ts";

const meta = (progs: [string, string][]) =>
  ({
    bpf_skel: { progs: progs.map(([name, attach]) => ({ name, attach, link: true })) },
  }) as unknown as Meta;

const resolve = (progs: [string, string][], specs: string[], pid?: number) =>
  resolveAttachTargets(
    meta(progs),
    specs,
    (n) => progs.find((p) => p[0] === n)?.[1],
    pid,
  );

Deno.test("resolveAttachTargets: library names resolve; --pid takes over a section's target", () => {
  const t = resolve([["on_malloc", "uretprobe"]], ["on_malloc=libc.so.6:malloc"]);
  const m = t.get("on_malloc")!;
  assert.equal(m.kind, "uprobe");
  assert.match(m.kind === "uprobe" ? m.binary : "", /^\/.*\/libc\.so\.6$/);
  assert.equal(m.kind === "uprobe" && m.retprobe, true);

  const libc = m.kind === "uprobe" ? m.binary : "";
  const fixed = resolve([["on_free", `uprobe/${libc}:free`]], [], 42);
  assert.deepEqual(fixed.get("on_free"), {
    kind: "uprobe",
    binary: libc,
    symbol: "free",
    offset: 0,
    retprobe: false,
  });
  // Without --pid, libbpf attaches a section's own target.
  assert.equal(resolve([["on_free", `uprobe/${libc}:free`]], []).size, 0);
  assert.deepEqual(resolve([["x", "xdp"]], ["x=lo"]).get("x"), { kind: "xdp", ifname: "lo" });
});

Deno.test("resolveAttachTargets: each mistake is one line naming the option", () => {
  const cases: [[string, string][], string[], number | undefined, string | RegExp][] = [
    [
      [["p", "tp/sched/sched_process_exec"]],
      ["p=/bin/true:main"],
      undefined,
      `--attach p: SEC("tp/sched/sched_process_exec") takes no run-time target`,
    ],
    [
      [["p", "uprobe"]],
      ["p=libc.so.6:malloc", "p=libc.so.6:free"],
      undefined,
      "--attach p: given twice",
    ],
    [[["p", "xdp"]], [], 7, "--pid limits uprobes and USDT probes, and this package has none"],
    [
      [["p", "usdt"]],
      ["p=libc.so.6:nope:nope"],
      undefined,
      /^--attach p: no USDT probe 'nope:nope' in '\/.*libc\.so\.6' \(it has none\)$/,
    ],
    [
      [["p", "uprobe"]],
      ["p=/etc/hostname:main"],
      undefined,
      /^--attach p: '\/etc\/hostname' is not an ELF binary \(not an ELF file \(bad magic\)\)$/,
    ],
  ];
  for (const [progs, specs, pid, message] of cases) {
    assert.throws(() => resolve(progs, specs, pid), { name: "RunError", message });
  }
});

Deno.test("formatAttachTargets lists what each program takes", () => {
  assert.equal(
    formatAttachTargets(meta([["a", "uprobe"], ["b", "tc"], ["c", "tp/x/y"], ["d", "perf_event"]])),
    "\n\nAttach targets:\n" +
      "  a  uprobe: --attach a=/path/bin:symbol[+offset] (required)\n" +
      "  b  tc: --attach b=ifname[:ingress|egress] (default from the package)\n" +
      "  d  perf_event: --freq HZ | --period N\n" +
      "  --pid PID limits uprobes and USDT probes to one process",
  );
  assert.equal(formatAttachTargets(meta([["c", "tp/x/y"]])), "");
});
