import type { Meta } from "../package/mod.ts";
import { type ProgramFlag, switchName } from "./flags.ts";

/** Text after the program flags in `--help`: ecli's own run options. */
export const RUN_OPTIONS_HELP = `ecli run options (before or after the package; '--' ends them):
      --json              print one JSON object per event
      --verbose           show libbpf debug output and the verifier log
      --duration <S>      stop after S seconds
      --count <N>         stop after N events
      --handler <FILE>    hand events to FILE's default export
  -e, --eval <CODE>       inline handler (e, ctx, emit, stop, args, maps in scope)`;

/** Widest left column before help moves to its own line. */
const MAX_COLUMN = 40;

function rows(items: [string, string][]): string[] {
  const widest = Math.max(...items.map(([l]) => l.length));
  const col = Math.min(widest + 2, MAX_COLUMN);
  return items.map(([left, help]) =>
    left.length + 2 <= col ? `${left.padEnd(col)}${help}` : `${left}\n${" ".repeat(col)}${help}`
  );
}

/**
 * The help of a program, laid out like upstream's clap help: brief (or description), usage,
 * one line per flag with its default, `--verbose`, `-h`, `-V`, then details. `command` is what
 * the usage line shows before the options (a standalone tool shows its own name).
 */
export function formatProgramHelp(
  meta: Meta,
  flags: ProgramFlag[],
  command = "ecli run <package>",
): string {
  const skel = meta.bpf_skel;
  const doc = skel.doc ?? {};
  const lines = [doc.brief ?? doc.description ?? "A simple eBPF program", ""];
  lines.push(`Usage: ${command} [OPTIONS]`, "", "Options:");
  const items: [string, string][] = flags.map((f) => {
    const short = f.short ? `-${f.short}, ` : "    ";
    const left = f.switch
      ? `  ${short}--${switchName(f)}`
      : `  ${short}--${f.long} <${f.variable.toUpperCase()}>`;
    const dflt = !f.switch && f.defaultValue !== undefined ? ` [default: ${f.defaultValue}]` : "";
    return [left, `${f.help}${dflt}`];
  });
  items.push(["      --verbose", "Whether to show libbpf debug information"]);
  items.push(["  -h, --help", "Print help"], ["  -V, --version", "Print version"]);
  lines.push(...rows(items));
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
