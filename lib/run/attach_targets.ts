import { accessSync, constants, existsSync, readFileSync, statSync } from "node:fs";
import { delimiter, join } from "node:path";
import process from "node:process";
import {
  type AttachTarget,
  interfaceIndex,
  LoaderError,
  needsTarget,
  parseAttachTarget,
  TARGET_SYNTAX,
  targetFamily,
} from "../loader/mod.ts";
import type { Meta } from "../package/mod.ts";
import { ElfSymbols, usdtProbes } from "../symbols/mod.ts";
import { RunError } from "./errors.ts";

/** Where libbpf looks for a library given by name; we check the same places first. */
const LIBRARY_DIRS = [
  "/lib/x86_64-linux-gnu",
  "/usr/lib/x86_64-linux-gnu",
  "/lib/aarch64-linux-gnu",
  "/usr/lib/aarch64-linux-gnu",
  "/lib64",
  "/usr/lib64",
  "/lib",
  "/usr/lib",
];

/** A binary named without a slash: searched in PATH, then the library directories. */
function findBinary(name: string): string | undefined {
  if (name.includes("/")) return existsSync(name) ? name : undefined;
  const dirs = [...(process.env.PATH ?? "").split(delimiter).filter(Boolean), ...LIBRARY_DIRS];
  return dirs.map((d) => join(d, name)).find((p) => existsSync(p));
}

/** Checks a uprobe/USDT target's binary and symbol or probe; returns it with the full path. */
function checkBinaryTarget(what: string, t: AttachTarget): AttachTarget {
  if (t.kind !== "uprobe" && t.kind !== "usdt") return t;
  const path = findBinary(t.binary);
  if (!path || !statSync(path).isFile()) {
    throw new RunError(`${what}: no such binary '${t.binary}'`);
  }
  try {
    accessSync(path, constants.R_OK);
  } catch {
    throw new RunError(`${what}: cannot read '${path}'`);
  }
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
    if (t.kind === "uprobe") {
      const syms = ElfSymbols.read(path);
      if (t.symbol !== undefined && !syms.hasSymbol(t.symbol)) {
        throw new RunError(`${what}: no function '${t.symbol}' in '${path}'`);
      }
    } else {
      const probes = usdtProbes(bytes);
      if (!probes.some((p) => p.provider === t.provider && p.name === t.name)) {
        const known = probes.map((p) => `${p.provider}:${p.name}`);
        throw new RunError(
          `${what}: no USDT probe '${t.provider}:${t.name}' in '${path}'` +
            (known.length ? ` (it has ${[...new Set(known)].join(", ")})` : " (it has none)"),
        );
      }
    }
  } catch (e) {
    if (e instanceof RunError) throw e;
    throw new RunError(`${what}: '${path}' is not an ELF binary (${(e as Error).message})`);
  }
  return { ...t, binary: path };
}

/**
 * Parses and checks `--attach PROG=TARGET` values before anything is loaded: the program
 * exists and takes a target, the target fits its family's syntax, its binary exists and has
 * the symbol or USDT probe, its interface exists. Programs whose section names no target
 * (`SEC("uprobe")`, `SEC("usdt")`) must get one. `section(name)` gives a program's SEC().
 * Every problem is one `RunError` line naming the option.
 */
export function resolveAttachTargets(
  meta: Meta,
  specs: readonly string[],
  section: (program: string) => string | undefined,
  pid?: number,
): Map<string, AttachTarget> {
  const targets = new Map<string, AttachTarget>();
  const progs = meta.bpf_skel.progs.map((p) => p.name);
  for (const spec of specs) {
    const eq = spec.indexOf("=");
    if (eq <= 0) throw new RunError(`--attach '${spec}': expected PROG=TARGET`);
    const [name, text] = [spec.slice(0, eq), spec.slice(eq + 1)];
    const what = `--attach ${name}`;
    const sec = progs.includes(name) ? section(name) : undefined;
    if (sec === undefined) {
      throw new RunError(
        `${what}: no program '${name}' (programs: ${progs.join(", ") || "none"})`,
      );
    }
    const family = targetFamily(sec);
    if (!family) throw new RunError(`${what}: SEC("${sec}") takes no run-time target`);
    if (targets.has(name)) throw new RunError(`${what}: given twice`);
    let t: AttachTarget;
    try {
      t = parseAttachTarget(family, text);
    } catch (e) {
      if (e instanceof LoaderError) throw new RunError(`${what}: ${e.message}`);
      throw e;
    }
    if ((t.kind === "xdp" || t.kind === "tc") && !interfaceIndex(t.ifname)) {
      throw new RunError(`${what}: no network interface '${t.ifname}'`);
    }
    targets.set(name, checkBinaryTarget(what, t));
  }
  let probes = 0;
  for (const name of progs) {
    const sec = section(name);
    const family = sec === undefined ? undefined : targetFamily(sec);
    const probe = family === "uprobe" || family === "uretprobe" || family === "usdt";
    if (probe) probes++;
    // --pid reaches a probe whose target is in its section: we attach it, not libbpf.
    if (pid !== undefined && probe && sec!.includes("/") && !targets.has(name)) {
      const what = `program '${name}'`;
      try {
        const t = parseAttachTarget(family, sec!.slice(sec!.indexOf("/") + 1));
        targets.set(name, checkBinaryTarget(what, t));
      } catch (e) {
        if (e instanceof LoaderError) throw new RunError(`${what}: ${e.message}`);
        throw e;
      }
    }
    if (sec !== undefined && needsTarget(sec) && !targets.has(name)) {
      throw new RunError(
        `program '${name}' (SEC("${sec}")) has no target: give one with ` +
          `--attach ${name}=${TARGET_SYNTAX[family!]}`,
      );
    }
  }
  if (pid !== undefined && !probes) {
    throw new RunError("--pid limits uprobes and USDT probes, and this package has none");
  }
  return targets;
}

/** The `Attach targets:` part of `ecli run <pkg> --help` (empty when no program takes one). */
export function formatAttachTargets(meta: Meta): string {
  const rows = meta.bpf_skel.progs.flatMap((p) => {
    const family = targetFamily(p.attach);
    if (p.attach === "perf_event") {
      const perf = p.perf ? ` ${JSON.stringify(p.perf)}` : "";
      return [[p.name, `perf_event${perf}: --freq HZ | --period N`]];
    }
    if (!family) return [];
    const now = needsTarget(p.attach)
      ? "required"
      : p.attach.includes("/")
      ? `default ${p.attach.slice(p.attach.indexOf("/") + 1)}`
      : "default from the package";
    return [[p.name, `${family}: --attach ${p.name}=${TARGET_SYNTAX[family]} (${now})`]];
  });
  if (!rows.length) return "";
  const w = Math.max(...rows.map((r) => r[0].length));
  const probes = meta.bpf_skel.progs.some((p) => /^u|^usdt/.test(targetFamily(p.attach) ?? ""));
  return "\n\nAttach targets:\n" +
    rows.map(([n, t]) => `  ${n.padEnd(w)}  ${t}`).join("\n") +
    (probes ? "\n  --pid PID limits uprobes and USDT probes to one process" : "");
}
