import { readFileSync } from "node:fs";
import { decodePackage, type Package, parsePackageText } from "./codec.ts";
import { PackageError } from "./errors.ts";

/**
 * Reads a package from a file path, an http(s) URL, `-` (stdin), or an already parsed
 * package document, and decodes it.
 */
export async function loadPackage(source: string | Record<string, unknown>): Promise<Package> {
  if (typeof source !== "string") return decodePackage(source);
  return await packageFromText(await readPackageText(source), source);
}

/** The text of a package at a file path, an http(s) URL or `-` (stdin), undecoded. */
export async function readPackageText(source: string): Promise<string> {
  let text: string;
  if (/^https?:\/\//.test(source)) {
    let res: Response;
    try {
      res = await fetch(source);
    } catch (e) {
      throw new PackageError(`${source}: cannot fetch: ${(e as Error).message}`);
    }
    if (!res.ok) throw new PackageError(`${source}: HTTP ${res.status}`);
    text = await res.text();
  } else {
    try {
      text = readFileSync(source === "-" ? 0 : source, "utf8");
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      const why = code === "ENOENT" ? "no such file" : code === "EISDIR" ? "is a directory" : code;
      throw new PackageError(`${source}: ${why}`);
    }
  }
  return text;
}

/**
 * Decodes a package from its JSON or YAML text; `source` names it in errors, and its ending
 * (`.json`, `.yaml`) picks the format when it has one.
 */
export async function packageFromText(text: string, source: string): Promise<Package> {
  const format = /\.ya?ml$/.test(source) ? "yaml" : /\.json$/.test(source) ? "json" : undefined;
  try {
    return decodePackage(await parsePackageText(text, format));
  } catch (e) {
    if (e instanceof PackageError) throw new PackageError(`${source}: ${e.message}`, e.path);
    throw e;
  }
}
