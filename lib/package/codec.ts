import { Buffer } from "node:buffer";
import { inflateSync } from "node:zlib";
import type { z } from "zod";
import type { BtfArchive } from "./btf_archive.ts";
import { PackageError } from "./errors.ts";
import { type Meta, MetaSchema, PackageSchema } from "./schema.ts";

/** A decoded package: the BPF ELF object and its validated metadata. */
export interface Package {
  /** The inflated ELF bytes. */
  object: Uint8Array;
  /** Metadata with upstream's defaults applied. */
  meta: Meta;
  /** Tailored kernel BTF that came with it (`package.tar`), for kernels without BTF. */
  btfArchive?: BtfArchive;
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Formats the first zod issue as `path: message`. */
function describeIssue(error: z.ZodError, prefix: string): PackageError {
  const issue = error.issues[0];
  const path = [
    prefix,
    ...issue.path.map((p) => typeof p === "number" ? `[${p}]` : `.${String(p)}`),
  ]
    .join("").replace(/^\./, "");
  return new PackageError(`${path || "package"}: ${issue.message}`, path);
}

/** Validates a `meta` object (ecc's `.skel.json`), naming the field path on failure. */
export function parseMeta(value: unknown, prefix = "meta"): Meta {
  const r = MetaSchema.safeParse(value);
  if (!r.success) throw describeIssue(r.error, prefix);
  return r.data;
}

/**
 * Parses package text: JSON, or YAML when `format` says so or the text is not JSON-looking.
 * The YAML parser is loaded only for YAML input (it costs start-up time).
 */
export async function parsePackageText(text: string, format?: "json" | "yaml"): Promise<unknown> {
  const fmt = format ?? (/^\s*[{[]/.test(text) ? "json" : "yaml");
  try {
    return fmt === "json" ? JSON.parse(text) : (await import("yaml")).parse(text);
  } catch (e) {
    const what = fmt === "json" ? "JSON" : "YAML";
    throw new PackageError(`not valid ${what}: ${(e as Error).message.split("\n")[0]}`);
  }
}

/** Validates a package document and inflates its object. */
export function decodePackage(doc: unknown): Package {
  const r = PackageSchema.safeParse(doc);
  if (!r.success) throw describeIssue(r.error, "");
  const { bpf_object, bpf_object_size, meta } = r.data;
  if (bpf_object.length % 4 !== 0 || !BASE64.test(bpf_object)) {
    throw new PackageError("bpf_object: malformed base64", "bpf_object");
  }
  let object: Uint8Array;
  try {
    object = new Uint8Array(inflateSync(Buffer.from(bpf_object, "base64")));
  } catch (e) {
    throw new PackageError(
      `bpf_object: malformed zlib data (${(e as Error).message})`,
      "bpf_object",
    );
  }
  if (object.length !== bpf_object_size) {
    throw new PackageError(
      `bpf_object_size: ${bpf_object_size} in the package, but the object inflates to ${object.length} bytes`,
      "bpf_object_size",
    );
  }
  return { object, meta };
}
