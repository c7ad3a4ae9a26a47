import { Buffer } from "node:buffer";
import { deflateSync } from "node:zlib";

/** The on-disk package shape as ecc writes it. */
export interface PackageDocument {
  /** base64 (standard, padded) of the zlib-wrapped ELF. */
  bpf_object: string;
  /** Byte length of the ELF. */
  bpf_object_size: number;
  /** Metadata, written as given. */
  meta: unknown;
}

/** Builds the package document: zlib (level 6, like upstream) + base64 of `object`. */
export function encodePackage(object: Uint8Array, meta: unknown): PackageDocument {
  return {
    bpf_object: Buffer.from(deflateSync(object, { level: 6 })).toString("base64"),
    bpf_object_size: object.length,
    meta,
  };
}

/** Recursively sorts object keys, as upstream's serde_json maps do. */
export function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[k];
      if (v !== undefined) out[k] = sortKeys(v);
    }
    return out;
  }
  return value;
}

/** Serialises like upstream: compact JSON with sorted keys. */
export function serializeJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

/** Serialises like upstream's `-y`: YAML with sorted keys (the YAML module loads on demand). */
export async function serializeYaml(value: unknown): Promise<string> {
  return (await import("yaml")).stringify(sortKeys(value));
}
