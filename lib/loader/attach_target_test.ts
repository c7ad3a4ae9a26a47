import assert from "node:assert/strict";
import { Perf, samplingPerfAttr } from "../../ffi/mod.ts";
import type { ProgMeta } from "../package/mod.ts";
import { needsTarget, parseAttachTarget, targetFamily } from "./attach_target.ts";
import { perfSampling } from "./perf_event.ts";

Deno.test("targetFamily and needsTarget read libbpf section names", () => {
  assert.equal(targetFamily("uprobe"), "uprobe");
  assert.equal(targetFamily("uretprobe//bin/bash:readline"), "uretprobe");
  assert.equal(targetFamily("uprobe.s"), "uprobe");
  assert.equal(targetFamily("usdt"), "usdt");
  assert.equal(targetFamily("xdp"), "xdp");
  assert.equal(targetFamily("xdp.frags"), "xdp");
  assert.equal(targetFamily("tc"), "tc");
  assert.equal(targetFamily("classifier"), "tc");
  assert.equal(targetFamily("tp/sched/sched_process_exec"), undefined);
  assert.equal(targetFamily("uprobex"), undefined);
  assert.ok(needsTarget("uprobe") && needsTarget("usdt") && needsTarget("uretprobe.s"));
  assert.ok(!needsTarget("uprobe//bin/bash:readline") && !needsTarget("xdp"));
});

Deno.test("parseAttachTarget takes libbpf's target syntax", () => {
  assert.deepEqual(parseAttachTarget("uprobe", "/bin/bash:readline"), {
    kind: "uprobe",
    binary: "/bin/bash",
    symbol: "readline",
    offset: 0,
    retprobe: false,
  });
  assert.deepEqual(parseAttachTarget("uretprobe", "libc.so.6:malloc+0x10"), {
    kind: "uprobe",
    binary: "libc.so.6",
    symbol: "malloc",
    offset: 16,
    retprobe: true,
  });
  assert.deepEqual(parseAttachTarget("uprobe", "/opt/a:b/c:0x1234"), {
    kind: "uprobe",
    binary: "/opt/a:b/c",
    symbol: undefined,
    offset: 0x1234,
    retprobe: false,
  });
  assert.deepEqual(parseAttachTarget("usdt", "/usr/bin/python3:python:function__entry"), {
    kind: "usdt",
    binary: "/usr/bin/python3",
    provider: "python",
    name: "function__entry",
  });
  assert.deepEqual(parseAttachTarget("xdp", "veth0"), { kind: "xdp", ifname: "veth0" });
  assert.deepEqual(parseAttachTarget("tc", "eth0:egress"), {
    kind: "tc",
    ifname: "eth0",
    direction: "egress",
  });
  assert.deepEqual(parseAttachTarget("tc", "eth0"), {
    kind: "tc",
    ifname: "eth0",
    direction: "ingress",
  });
});

Deno.test("parseAttachTarget: a malformed target is one line naming the expected syntax", () => {
  const cases: [Parameters<typeof parseAttachTarget>[0], string, string][] = [
    [
      "uprobe",
      "/bin/bash",
      "bad uprobe target '/bin/bash': no binary and symbol " +
      "(expected /path/bin:symbol[+offset])",
    ],
    [
      "uprobe",
      "/bin/bash:read line",
      "bad uprobe target '/bin/bash:read line': no binary " +
      "and symbol (expected /path/bin:symbol[+offset])",
    ],
    [
      "usdt",
      "/bin/x:probe",
      "bad usdt target '/bin/x:probe': no binary, provider and probe " +
      "(expected /path/bin:provider:probe)",
    ],
    [
      "tc",
      "eth0:sideways",
      "bad tc target 'eth0:sideways': not an interface name with an " +
      "optional :ingress or :egress (expected ifname[:ingress|egress])",
    ],
    ["xdp", "a/b", "bad xdp target 'a/b': not an interface name (expected ifname)"],
    [
      "xdp",
      "waytoolonginterfacename",
      "bad xdp target 'waytoolonginterfacename': not an " +
      "interface name (expected ifname)",
    ],
  ];
  for (const [family, text, message] of cases) {
    assert.throws(() => parseAttachTarget(family, text), { name: "LoaderError", message });
  }
});

const prog = (extra: Record<string, unknown> = {}): ProgMeta =>
  ({ name: "do_sample", attach: "perf_event", link: true, ...extra }) as ProgMeta;

Deno.test("perfSampling: command line over @perf over 99 Hz of cpu-clock", () => {
  assert.deepEqual(perfSampling(prog()), { event: "cpu-clock", freq: 99, period: undefined });
  assert.deepEqual(perfSampling(prog({ perf: { freq: 49 } })), {
    event: "cpu-clock",
    freq: 49,
    period: undefined,
  });
  assert.deepEqual(perfSampling(prog({ perf: { freq: 49, event: "cycles" } }), { period: 1e6 }), {
    event: "cycles",
    freq: undefined,
    period: 1e6,
  });
  assert.throws(() => perfSampling(prog({ perf: { freq: 1, period: 2 } })), {
    message: "program 'do_sample': @perf has both freq and period; give one",
  });
  assert.throws(() => perfSampling(prog({ perf: { freq: -1 } })), /@perf freq: /);
  assert.throws(() => perfSampling(prog({ perf: { hz: 5 } })), /@perf: Unrecognized key/);
});

Deno.test("samplingPerfAttr sets the frequency flag only for a frequency", () => {
  const v = (b: Uint8Array) => new DataView(b.buffer);
  const freq = v(samplingPerfAttr({ type: Perf.TYPE_SOFTWARE, config: 0, freq: 99 }));
  assert.equal(freq.getUint32(0, true), Perf.TYPE_SOFTWARE);
  assert.equal(freq.getUint32(4, true), Perf.ATTR_SIZE);
  assert.equal(freq.getBigUint64(16, true), 99n);
  assert.equal(freq.getBigUint64(40, true), 1n << 10n);
  const period = v(samplingPerfAttr({ type: Perf.TYPE_HARDWARE, config: 0, period: 12345 }));
  assert.equal(period.getBigUint64(16, true), 12345n);
  assert.equal(period.getBigUint64(40, true), 0n);
});
