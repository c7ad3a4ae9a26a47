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

/** The largest object a package may hold; a bigger `bpf_object_size` is refused unread. */
export const MAX_OBJECT_SIZE = 256 * 2 ** 20;

/** Formats the first zod issue as `path: message`. */
function describeIssue(error: z.ZodError, prefix: string): PackageError {
  const issue = error.issues[0];
  // zod says "expected string, received undefined" for a field that is not there at all.
  const message = issue.code === "invalid_type" && /received undefined$/.test(issue.message)
    ? `missing (expected ${issue.expected})`
    : issue.message.replace(/^Invalid input: (?=expected)/, "");
  const path = [
    prefix,
    ...issue.path.map((p) => typeof p === "number" ? `[${p}]` : `.${String(p)}`),
  ]
    .join("").replace(/^\./, "");
  return new PackageError(`${path || "package"}: ${message}`, path);
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
    return fmt === "json"
      ? JSON.parse(text)
      : (await import("yaml")).parse(text, { logLevel: "error" });
  } catch (e) {
    const what = fmt === "json" ? "JSON" : "YAML";
    // The YAML parser's first line ends with ':' before a source excerpt.
    let first = (e as Error).message.split("\n")[0].replace(/:$/, "");
    // It may quote the offending line, which can be a whole base64 object.
    if (first.length > 200) first = `${first.slice(0, 200)}…`;
    throw new PackageError(`not valid ${what}: ${first}`);
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
  if (bpf_object_size > MAX_OBJECT_SIZE) {
    throw new PackageError(
      `bpf_object_size: ${bpf_object_size} bytes is more than the ${
        MAX_OBJECT_SIZE >> 20
      } MiB limit`,
      "bpf_object_size",
    );
  }
  let object: Uint8Array;
  try {
    // Bounded by the declared size: a zlib bomb stops one byte past it instead of filling memory.
    object = new Uint8Array(
      inflateSync(Buffer.from(bpf_object, "base64"), { maxOutputLength: bpf_object_size + 1 }),
    );
  } catch (e) {
    if ((e as { code?: string }).code === "ERR_BUFFER_TOO_LARGE") {
      throw new PackageError(
        `bpf_object_size: ${bpf_object_size} in the package, but the object inflates to more`,
        "bpf_object_size",
      );
    }
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
