import { closeSync, openSync, readFileSync, readSync } from "node:fs";
import { decodePackage, type Package, parsePackageText } from "./codec.ts";
import { PackageError } from "./errors.ts";
import { isTarPackage } from "./tar.ts";
import { readPackageTar } from "./tar_package.ts";

/**
 * Reads a package from a file path, an http(s) URL, `-` (stdin), or an already parsed
 * package document, and decodes it.
 */
export async function loadPackage(source: string | Record<string, unknown>): Promise<Package> {
  if (typeof source !== "string") return decodePackage(source);
  if (source !== "-" && !/^https?:\/\//.test(source)) {
    const tar = readIfTar(source);
    if (tar) {
      try {
        return await readPackageTar(tar);
      } catch (e) {
        if (e instanceof PackageError) throw new PackageError(`${source}: ${e.message}`, e.path);
        throw e;
      }
    }
  }
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
  const format = /\.ya?ml$/.test(source) ? "yaml" : /\.json$/.test(source) ? "json" : undefined;
  try {
    return decodePackage(await parsePackageText(text, format));
  } catch (e) {
    if (e instanceof PackageError) throw new PackageError(`${source}: ${e.message}`, e.path);
    throw e;
  }
}

/** The file's bytes when it is a tar package (by `.tar` name or ustar magic), else undefined. */
function readIfTar(path: string): Uint8Array | undefined {
  const head = new Uint8Array(512);
  let n = 0;
  try {
    const fd = openSync(path, "r");
    try {
      n = readSync(fd, head, 0, 512, 0);
    } finally {
      closeSync(fd);
    }
  } catch {
    return undefined; // the text path below reports the error
  }
  if (!isTarPackage(path, head.subarray(0, n))) return undefined;
  return new Uint8Array(readFileSync(path));
}
