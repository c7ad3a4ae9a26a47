/**
 * The four kinds of program ecli takes, and how a source's kind is found: the `-p` flag, else
 * the file name, else the content, else the OCI media type (as upstream, plus YAML and OCI).
 * @module
 */
import { tarMembers } from "./tar_members.ts";

/** A program kind: a package (JSON or YAML text), a package tar with BTF, a wasm-bpf module. */
export type ProgramType = "json" | "yaml" | "tar" | "wasm";

/** Every program type, in `-p` order. */
export const PROGRAM_TYPES: readonly ProgramType[] = ["json", "yaml", "tar", "wasm"];

/** A program type that cannot be told from a source: the user must give `-p`. */
export class ProgramTypeError extends Error {
  /** Creates the error. */
  constructor(message: string) {
    super(message);
    this.name = "ProgramTypeError";
  }
}

/** Parses `-p/--prog-type`. */
export function parseProgramType(text: string): ProgramType {
  const t = text.toLowerCase();
  if ((PROGRAM_TYPES as string[]).includes(t)) return t as ProgramType;
  throw new ProgramTypeError(`--prog-type takes ${PROGRAM_TYPES.join(", ")}, got '${text}'`);
}

/** The type a file name (or URL path) says: `.json`, `.yaml`/`.yml`, `.tar`, `.wasm`. */
export function typeFromName(name: string): ProgramType | undefined {
  const m = /\.(json|ya?ml|tar|wasm)$/i.exec(name.replace(/[?#].*$/, ""));
  if (!m) return undefined;
  const ext = m[1].toLowerCase();
  return ext === "yml" ? "yaml" : ext as ProgramType;
}

const WASM_MAGIC = [0x00, 0x61, 0x73, 0x6d];

/** Whether a ustar/GNU tar header block starts `bytes` (magic at offset 257). */
export function isTar(bytes: Uint8Array): boolean {
  if (bytes.length < 512) return false;
  const magic = String.fromCharCode(...bytes.subarray(257, 262));
  return magic === "ustar";
}

/**
 * The type the content says: the wasm magic `\0asm`; a tar holding `package.json`; JSON text (`{`); YAML text (a `key:` line, as ecc's
 * `package.yaml` begins). Undefined when it is none of these.
 */
export function typeFromContent(bytes: Uint8Array): ProgramType | undefined {
  if (WASM_MAGIC.every((b, i) => bytes[i] === b)) return "wasm";
  if (isTar(bytes)) {
    try {
      return tarMembers(bytes).some((m) => m.name === "package.json") ? "tar" : undefined;
    } catch {
      return undefined;
    }
  }
  const head = new TextDecoder("utf-8", { fatal: false }).decode(bytes.subarray(0, 4096));
  if (head.includes("\0")) return undefined;
  if (/^\uFEFF?\s*\{/.test(head)) return "json";
  if (/^\uFEFF?(?:---\s*\n|#[^\n]*\n|\s)*[A-Za-z_][\w.-]*\s*:(?:\s|$)/.test(head)) return "yaml";
  return undefined;
}

/**
 * Finds a program's type in upstream's order (flag, name, content) and then from the OCI
 * media type of the layer it came from; throws when none says.
 */
export function detectProgramType(
  program: { source: string; name?: string; bytes: Uint8Array; mediaTypeType?: ProgramType },
  explicit?: ProgramType,
): ProgramType {
  const t = explicit ?? (program.name !== undefined ? typeFromName(program.name) : undefined) ??
    typeFromContent(program.bytes) ?? program.mediaTypeType;
  if (t) return t;
  throw new ProgramTypeError(
    `${program.source}: cannot tell the program type (not JSON, YAML, a tar with package.json, or wasm); give -p ${
      PROGRAM_TYPES.join("|")
    }`,
  );
}
