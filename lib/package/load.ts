import { readFileSync } from "node:fs";
import { decodePackage, type Package, parsePackageText } from "./codec.ts";
import { ElfError, parseElf } from "../elf/mod.ts";
import { PackageError } from "./errors.ts";
import { isTarPackage } from "./tar.ts";
import { readPackageTar } from "./tar_package.ts";

/** Reads the bytes of a file path, an http(s) URL, or `-` (stdin); one-line errors. */
export async function readSource(source: string): Promise<Uint8Array> {
  if (/^https?:\/\//.test(source)) {
    let res: Response;
    try {
      res = await fetch(source);
    } catch (e) {
      // Deno and Bun word a refused connection differently: say it once, the same way.
      const text = `${(e as Error).message} ${(e as { code?: string }).code ?? ""} ${
        String((e as { cause?: unknown }).cause ?? "")
      }`;
      const why = /ECONNREFUSED|Connection refused/i.test(text)
        ? "connection refused"
        : (e as Error).message.split("\n")[0];
      throw new PackageError(`${source}: cannot fetch: ${why}`);
    }
    if (!res.ok) throw new PackageError(`${source}: HTTP ${res.status}`);
    return new Uint8Array(await res.arrayBuffer());
  }
  try {
    return new Uint8Array(readFileSync(source === "-" ? 0 : source));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === "ENOENT"
      ? "no such file"
      : code === "EISDIR"
      ? "is a directory"
      : code === "EACCES"
      ? "permission denied"
      : code;
    throw new PackageError(`${source}: ${why}`);
  }
}

/** Decodes package text (JSON or YAML, `format` or guessed); errors are prefixed by `source`. */
export async function decodePackageText(
  text: string,
  source: string,
  format?: "json" | "yaml",
): Promise<Package> {
  try {
    const pkg = decodePackage(await parsePackageText(text, format));
    // Read once here so a broken object is reported against the package that carries it.
    parseElf(pkg.object);
    return pkg;
  } catch (e) {
    if (e instanceof PackageError) throw new PackageError(`${source}: ${e.message}`, e.path);
    if (e instanceof ElfError) {
      throw new PackageError(`${source}: bpf_object: ${e.message}`, "bpf_object");
    }
    throw e;
  }
}

/**
 * Reads a package from a file path, an http(s) URL, `-` (stdin), or an already parsed
 * package document, and decodes it.
 */
export async function loadPackage(source: string | Record<string, unknown>): Promise<Package> {
  if (typeof source !== "string") return decodePackage(source);
  const bytes = await readSource(source);
  if (isTarPackage(source, bytes.subarray(0, 512))) return await decodePackageTar(bytes, source);
  const text = new TextDecoder().decode(bytes);
  const format = /\.ya?ml$/.test(source) ? "yaml" : /\.json$/.test(source) ? "json" : undefined;
  return await decodePackageText(text, source, format);
}

/** Decodes a `package.tar` (package.json, the object, tailored BTF); errors name `source`. */
export async function decodePackageTar(bytes: Uint8Array, source: string): Promise<Package> {
  try {
    return await readPackageTar(bytes);
  } catch (e) {
    if (e instanceof PackageError) throw new PackageError(`${source}: ${e.message}`, e.path);
    throw e;
  }
}
