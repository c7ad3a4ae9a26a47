import type { Meta } from "../package/mod.ts";
import { type ProgramFlag, switchName } from "./flags.ts";

/** Text after the program flags in `--help`: ecli's own run options. */
export const RUN_OPTIONS_HELP = `ecli run options (before or after the package; '--' ends them):
      --json              print one JSON object per event
      --verbose           show libbpf debug output and the verifier log
      --duration <S>      stop after S seconds
      --count <N>         stop after N events`;

function row(left: string, help: string): string {
  const pad = left.length < 30 ? left.padEnd(30) : `${left}\n${" ".repeat(30)}`;
  return `${pad}${help}`;
}

/**
 * The help of a program, laid out like upstream's clap help: brief (or description), usage,
 * one line per flag with its default, `--verbose`, `-h`, `-V`, then details.
 */
export function formatProgramHelp(meta: Meta, flags: ProgramFlag[]): string {
  const skel = meta.bpf_skel;
  const doc = skel.doc ?? {};
  const lines = [doc.brief ?? doc.description ?? "A simple eBPF program", ""];
  lines.push(`Usage: ecli run <package> [OPTIONS]`, "", "Options:");
  for (const f of flags) {
    const short = f.short ? `-${f.short}, ` : "    ";
    const left = f.switch
      ? `  ${short}--${switchName(f)}`
      : `  ${short}--${f.long} <${f.variable.toUpperCase()}>`;
    const dflt = !f.switch && f.defaultValue !== undefined ? ` [default: ${f.defaultValue}]` : "";
    lines.push(row(left, `${f.help}${dflt}`));
  }
  lines.push(row("      --verbose", "Whether to show libbpf debug information"));
  lines.push(row("  -h, --help", "Print help"));
  lines.push(row("  -V, --version", "Print version"));
  lines.push("", RUN_OPTIONS_HELP, "");
  lines.push(
    doc.details ??
      "Built with eunomia-bpf framework.\nSee https://github.com/eunomia-bpf/eunomia-bpf for more information.",
  );
  return lines.join("\n");
}

/** `-V` output: the program name and `doc.version` (upstream's default 0.1.0). */
export function formatProgramVersion(meta: Meta): string {
  return `${meta.bpf_skel.obj_name} ${meta.bpf_skel.doc?.version ?? "0.1.0"}`;
}
