import { readFileSync } from "node:fs";
import { machine, release } from "node:os";

/** The running system as btfhub-archive names it: `<ID>/<VERSION_ID>/<arch>/<release>.btf`. */
export interface SystemIdentity {
  /** `/etc/os-release` `ID` (e.g. `debian`, `ubuntu`). */
  id: string;
  /** `/etc/os-release` `VERSION_ID` (e.g. `12`, `20.04`); empty when the file has none. */
  versionId: string;
  /** `uname -m` (e.g. `x86_64`, `aarch64`). */
  machine: string;
  /** `uname -r`. */
  release: string;
}

/** Parses os-release text (`KEY=value`, values optionally quoted). */
export function parseOsRelease(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const m = line.match(/^\s*([A-Z0-9_]+)=(.*)$/);
    if (!m) continue;
    out[m[1]] = m[2].trim().replace(/^(["'])(.*)\1$/, "$2");
  }
  return out;
}

/** The running system's identity, from os-release (`/etc`, else `/usr/lib`) and uname. */
export function systemIdentity(): SystemIdentity {
  let text = "";
  for (const p of ["/etc/os-release", "/usr/lib/os-release"]) {
    try {
      text = readFileSync(p, "utf8");
      break;
    } catch { /* try the next */ }
  }
  const os = parseOsRelease(text);
  return {
    id: os.ID ?? "linux",
    versionId: os.VERSION_ID ?? "",
    machine: machine(),
    release: release(),
  };
}

/** The archive path of a system's BTF: `<ID>/<VERSION_ID>/<arch>/<release>.btf`. */
export function archiveKey(s: SystemIdentity): string {
  return `${s.id}/${s.versionId}/${s.machine}/${s.release}.btf`;
}

/** btfhub names ARM `arm64`, uname says `aarch64`: both are tried. */
const ARCH_ALIASES: Record<string, string> = { aarch64: "arm64", arm64: "aarch64" };

/**
 * Tailored BTF files by btfhub-archive path (`debian/12/x86_64/6.1.0-57-amd64.btf`), as
 * `package.tar` carries them under `btfhub-archive/`.
 */
export class BtfArchive {
  /** Files by path relative to the archive root. */
  readonly files: Map<string, Uint8Array>;

  /** Wraps files keyed by archive path. */
  constructor(files: Map<string, Uint8Array>) {
    this.files = files;
  }

  /** The archive paths, sorted. */
  kernels(): string[] {
    return [...this.files.keys()].sort();
  }

  /**
   * The BTF for `system`: the exact path first (what upstream ecli and Inspektor Gadget look
   * up), the other spelling of the ARM arch next, and then the only file with this arch and
   * kernel release under another distribution path (btfhub spells some versions by codename,
   * e.g. `debian/bullseye`, and a container's os-release is not the host's).
   */
  select(system: SystemIdentity): { key: string; bytes: Uint8Array } | undefined {
    const arches = [system.machine, ARCH_ALIASES[system.machine]].filter(Boolean);
    for (const arch of arches) {
      const key = archiveKey({ ...system, machine: arch });
      const bytes = this.files.get(key);
      if (bytes) return { key, bytes };
    }
    const tails = arches.map((a) => `/${a}/${system.release}.btf`);
    const same = this.kernels().filter((k) => tails.some((t) => k.endsWith(t)));
    if (same.length === 1) return { key: same[0], bytes: this.files.get(same[0])! };
    return undefined;
  }

  /** A short summary for error lines: the first few paths and how many more. */
  summary(limit = 4): string {
    const all = this.kernels();
    if (!all.length) return "no BTF files";
    const shown = all.slice(0, limit).join(", ");
    return all.length > limit ? `${shown} and ${all.length - limit} more` : shown;
  }
}
