import {
  decodePackageTar,
  decodePackageText,
  describePackage,
  type Package,
} from "../package/mod.ts";
import { type ProgramType, ProgramTypeError } from "./program_type.ts";
import type { ProgramSource } from "./read.ts";

/**
 * What ecli does with one program type. A type becomes a package for the usual pipeline
 * (`toPackage`: JSON, YAML; a tar with its BTF) or runs by itself (`run`: wasm modules).
 */
export interface ProgramHandler {
  /** The package the run pipeline loads. */
  toPackage?(program: ProgramSource): Promise<Package>;
  /** Runs the program with its own arguments; resolves to the exit code. */
  run?(program: ProgramSource, args: string[], opts?: { verbose?: boolean }): Promise<number>;
  /** `ecli info` text. */
  describe?(program: ProgramSource): Promise<string>;
}

const textPackage = (format: "json" | "yaml"): ProgramHandler => ({
  toPackage: (p) => decodePackageText(new TextDecoder().decode(p.bytes), p.source, format),
  async describe(p) {
    return describePackage(
      await decodePackageText(new TextDecoder().decode(p.bytes), p.source, format),
      p.source,
    );
  },
});

/** `package.tar`: the package with tailored BTF for kernels without their own. */
const tarPackage: ProgramHandler = {
  toPackage: (p) => decodePackageTar(p.bytes, p.source),
  async describe(p) {
    return describePackage(await decodePackageTar(p.bytes, p.source), p.source);
  },
};

const handlers = new Map<ProgramType, ProgramHandler>([
  ["json", textPackage("json")],
  ["yaml", textPackage("yaml")],
  ["tar", tarPackage],
]);

/** Plugs in (or replaces) the handler of a program type: the tar and wasm runners go here. */
export function registerProgramHandler(type: ProgramType, handler: ProgramHandler): void {
  handlers.set(type, handler);
}

const LABEL: Record<ProgramType, string> = {
  json: "JSON packages",
  yaml: "YAML packages",
  tar: "tar packages",
  wasm: "wasm modules",
};

/** The handler for a program; a type without a runner yet is one clear error line. */
export function programHandler(program: ProgramSource): ProgramHandler {
  const h = handlers.get(program.type);
  if (h?.run || h?.toPackage) return h;
  throw new ProgramTypeError(
    `${program.source}: ${LABEL[program.type]} cannot be run yet by this ecli`,
  );
}

/** `ecli info` for any program: the handler's description, else type, size and digest. */
export async function describeProgram(program: ProgramSource): Promise<string> {
  const h = handlers.get(program.type);
  const text = h?.describe ? await h.describe(program) : `${program.source}: ${
    LABEL[program.type]
      .replace(/s$/, "")
  }, ${program.bytes.length} bytes (cannot be run yet by this ecli)`;
  if (!program.oci) return text;
  return `${text}\n  oci: ${
    program.oci.reference.replace(/@.*/, "")
  }@${program.oci.digest} (${program.oci.mediaType})`;
}
