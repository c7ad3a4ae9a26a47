import { parseBtf } from "../btf/mod.ts";
import { BtfArchive } from "./btf_archive.ts";
import { decodePackage, type Package, parsePackageText } from "./codec.ts";
import { PackageError } from "./errors.ts";
import { readTar, type TarEntry } from "./tar.ts";

/** Where `package.tar` keeps the tailored BTF (upstream's layout). */
export const ARCHIVE_DIR = "btfhub-archive/";

/**
 * Reads a `package.tar` (upstream `ecc --btfgen`'s layout): `package.json` (or
 * `package.yaml`), the object (ignored: the package embeds it), and tailored BTF files under
 * `btfhub-archive/<ID>/<VERSION_ID>/<arch>/<release>.btf`.
 */
export async function readPackageTar(bytes: Uint8Array): Promise<Package> {
  const entries = readTar(bytes);
  const doc = entries.find((e) => e.name === "package.json") ??
    entries.find((e) => e.name === "package.yaml");
  if (!doc) {
    throw new PackageError(
      `no package.json in the tar (it has: ${entries.map((e) => e.name).join(", ") || "nothing"})`,
    );
  }
  const files = new Map<string, Uint8Array>();
  for (const e of entries) {
    if (e.name.startsWith(ARCHIVE_DIR) && e.name.endsWith(".btf")) {
      try {
        parseBtf(e.data);
      } catch (err) {
        throw new PackageError(`${e.name}: not valid BTF (${(err as Error).message})`);
      }
      files.set(e.name.slice(ARCHIVE_DIR.length), e.data);
    }
  }
  const format = doc.name.endsWith(".yaml") ? "yaml" : "json";
  const pkg = decodePackage(await parsePackageText(new TextDecoder().decode(doc.data), format));
  return { ...pkg, btfArchive: new BtfArchive(files) };
}

/** The entries of a `package.tar`: package document, object, tailored BTF by archive path. */
export function packageTarEntries(
  packageJson: Uint8Array,
  object: { name: string; data: Uint8Array },
  btf: Map<string, Uint8Array>,
): TarEntry[] {
  return [
    ...[...btf.keys()].sort().map((k) => ({ name: ARCHIVE_DIR + k, data: btf.get(k)! })),
    { name: "package.json", data: packageJson },
    object,
  ];
}
