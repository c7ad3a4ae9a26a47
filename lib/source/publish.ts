import { basename } from "node:path";
import { decodePackageText, type Package, PackageError, packageSummary } from "../package/mod.ts";
import { type Artifact, packageArtifact, wasmArtifact } from "../oci/mod.ts";
import type { ProgramSource } from "./read.ts";
import { tarMembers } from "./tar_members.ts";

/** Parses `-a key=value` annotations (split at the first `=`, as upstream). */
export function parseAnnotations(pairs: string[] = []): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of pairs) {
    const eq = p.indexOf("=");
    if (eq <= 0) throw new PackageError(`-a takes key=value, got '${p}'`);
    out[p.slice(0, eq)] = p.slice(eq + 1);
  }
  return out;
}

/** The package inside a JSON/YAML program or a package tar (its `package.json`). */
async function packageOf(program: ProgramSource): Promise<Package> {
  if (program.type !== "tar") {
    const text = new TextDecoder().decode(program.bytes);
    return await decodePackageText(text, program.source, program.type === "yaml" ? "yaml" : "json");
  }
  let members;
  try {
    members = tarMembers(program.bytes);
  } catch (e) {
    throw new PackageError(`${program.source}: ${(e as Error).message}`);
  }
  const json = members.find((m) => m.name === "package.json");
  if (!json) throw new PackageError(`${program.source}: the tar has no package.json`);
  return await decodePackageText(
    new TextDecoder().decode(json.data),
    `${program.source}:package.json`,
    "json",
  );
}

/**
 * The artifact `ecli push` sends for a program: a wasm module exactly as upstream pushes it;
 * a package (JSON, YAML, tar) validated first, with its summary as config and annotations
 * title (object name), version and description (from its doc), and the file it came from.
 */
export async function programArtifact(
  program: ProgramSource,
  annotations: Record<string, string> = {},
): Promise<Artifact> {
  if (program.type === "wasm") return wasmArtifact(program.bytes, program.source, annotations);
  const pkg = await packageOf(program);
  const summary = packageSummary(pkg);
  const notes: Record<string, string> = { "org.opencontainers.image.title": String(summary.name) };
  if (summary.version) notes["org.opencontainers.image.version"] = String(summary.version);
  if (summary.description) {
    notes["org.opencontainers.image.description"] = String(summary.description);
  }
  notes["io.ecli-ts.package.source"] = basename(program.source);
  return packageArtifact(program.type, program.bytes, basename(program.source), summary, {
    ...notes,
    ...annotations,
  });
}
