import { packageTarEntries, writeTar } from "../../lib/package/mod.ts";
import { CompileError } from "../errors.ts";
import type { KernelBtfSource } from "./archive.ts";
import { objectRelocations, tailorBtf } from "./tailor.ts";

/** What went into a `package.tar`. */
export interface PackageTarResult {
  /** The tar bytes. */
  tar: Uint8Array;
  /** Per kernel: archive path, full and tailored size, relocations resolved. */
  kernels: { key: string; fullBytes: number; bytes: number; resolved: number; total: number }[];
}

/**
 * Builds upstream's `package.tar`: `btfhub-archive/<ID>/<VERSION_ID>/<arch>/<release>.btf`
 * tailored for `object` from each kernel, `package.json`, and the object under its bare name.
 */
export function buildPackageTar(
  packageJson: Uint8Array,
  object: { name: string; data: Uint8Array },
  kernels: KernelBtfSource[],
): PackageTarResult {
  const relos = [objectRelocations(object.data)];
  const btf = new Map<string, Uint8Array>();
  const out: PackageTarResult["kernels"] = [];
  for (const k of kernels) {
    const full = k.read();
    let t;
    try {
      t = tailorBtf(full, relos);
    } catch (e) {
      throw new CompileError(`${k.file}: cannot tailor BTF: ${(e as Error).message}`);
    }
    btf.set(k.key, t.bytes);
    out.push({
      key: k.key,
      fullBytes: full.length,
      bytes: t.bytes.length,
      resolved: t.resolved,
      total: t.total,
    });
  }
  return { tar: writeTar(packageTarEntries(packageJson, object, btf)), kernels: out };
}
