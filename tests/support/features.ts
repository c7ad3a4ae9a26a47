/**
 * Test support: optional kernel features (kprobes, fentry/fexit, BPF LSM) and `featureTest`,
 * which skips a kernel test with the reason when its feature is missing, unless
 * `ECLI_REQUIRE_FEATURES` (comma list) names the feature: then a missing feature fails the
 * test, so a kernel known to have it cannot pass by skipping behind a broken probe.
 * @module
 */
import { spawnSync } from "node:child_process";
import { activeLsms, hasKprobes } from "../../lib/loader/mod.ts";
import { ensureMounted, IN_CI, kernelSkipReason, skippableTest } from "./kernel.ts";

/** Optional kernel features the attach tests need. */
export type Feature = "kprobe" | "fentry" | "lsm";

const FEATURES: readonly Feature[] = ["kprobe", "fentry", "lsm"];

let programTypes: Record<string, boolean> | string | undefined;

/**
 * The kernel's program types, as `bpftool feature probe kernel` finds them (or why it could
 * not). bpftool asks the kernel itself: it loads a minimal program of each type, and for
 * tracing and LSM programs a bogus attach target, then tells "type unknown or refused" from
 * "type known, target wrong" by the verifier's answer. That is cheap (no clang, ~0.2 s) and
 * says exactly whether BPF_PROG_TYPE_TRACING/LSM can be loaded. It does not try a trampoline;
 * a kernel that loads the type but cannot attach makes the test fail rather than skip, the
 * safe direction.
 */
function probedProgramTypes(): Record<string, boolean> | string {
  if (programTypes !== undefined) return programTypes;
  const r = spawnSync("bpftool", ["-j", "feature", "probe", "kernel"], { encoding: "utf8" });
  if (r.status !== 0) {
    programTypes = `bpftool feature probe failed: ${(r.stderr || String(r.error)).trim()}`;
  } else {
    programTypes = (JSON.parse(r.stdout) as { program_types: Record<string, boolean> })
      .program_types;
  }
  return programTypes;
}

function programTypeMissing(type: string): string | undefined {
  const types = probedProgramTypes();
  if (typeof types === "string") return types;
  return types[`have_${type}_prog_type`] ? undefined : `program type ${type} not available`;
}

/** Why `feature` is missing on this kernel, or undefined when it is there. */
export function featureMissing(feature: Feature): string | undefined {
  switch (feature) {
    case "kprobe":
      // The kprobe PMU (4.17+) is what libbpf uses; tracefs' kprobe_events is the legacy way.
      ensureMounted("tracefs", "/sys/kernel/tracing");
      return hasKprobes()
        ? undefined
        : "no kprobe PMU and no tracefs kprobe_events (CONFIG_KPROBES off)";
    case "fentry":
      return programTypeMissing("tracing");
    case "lsm": {
      const missing = programTypeMissing("lsm");
      if (missing) return missing;
      ensureMounted("securityfs", "/sys/kernel/security");
      const lsms = activeLsms();
      if (!lsms) return "no /sys/kernel/security/lsm (securityfs not available)";
      return lsms.includes("bpf")
        ? undefined
        : `BPF LSM not active (lsm=${lsms.join(",")}; boot with bpf in lsm=)`;
    }
  }
}

/** The features `ECLI_REQUIRE_FEATURES` names; an unknown name is an error, not a no-op. */
export function requiredFeatures(): Set<Feature> {
  const names = (Deno.env.get("ECLI_REQUIRE_FEATURES") ?? "").split(",").map((s) => s.trim())
    .filter((s) => s);
  for (const n of names) {
    if (!FEATURES.includes(n as Feature)) {
      throw new Error(`ECLI_REQUIRE_FEATURES: unknown feature '${n}' (${FEATURES.join(", ")})`);
    }
  }
  return new Set(names as Feature[]);
}

const required = requiredFeatures();

/**
 * A kernel test that needs `feature`. Skipped with a one-line reason when the feature is
 * missing, or outside CI when kernel tests cannot run at all (no root, no BTF: as
 * `kernelTest`, never a skip in CI). When `ECLI_REQUIRE_FEATURES` names the feature it is
 * never skipped and fails with the probe's reason instead.
 */
export function featureTest(
  name: string,
  feature: Feature,
  fn: () => Promise<void> | void,
): void {
  const base = kernelSkipReason();
  let skip: string | undefined;
  if (required.has(feature)) {
    const why = base ?? featureMissing(feature);
    if (why) {
      fn = () => {
        throw new Error(`required feature '${feature}' missing (ECLI_REQUIRE_FEATURES): ${why}`);
      };
    }
  } else if (base) {
    skip = IN_CI ? undefined : base;
  } else {
    skip = featureMissing(feature);
  }
  skippableTest(name, skip, fn);
}
