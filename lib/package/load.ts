import { readFileSync } from "node:fs";
import { decodePackage, type Package, parsePackageText } from "./codec.ts";
import { ElfError, parseElf } from "../elf/mod.ts";
import { PackageError } from "./errors.ts";

/**
 * Reads a package from a file path, an http(s) URL, `-` (stdin), or an already parsed
 * package document, and decodes it.
 */
export async function loadPackage(source: string | Record<string, unknown>): Promise<Package> {
  if (typeof source !== "string") return decodePackage(source);
  let text: string;
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
    text = await res.text();
  } else {
    try {
      text = readFileSync(source === "-" ? 0 : source, "utf8");
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
  const format = /\.ya?ml$/.test(source) ? "yaml" : /\.json$/.test(source) ? "json" : undefined;
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
