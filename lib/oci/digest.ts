import { createHash } from "node:crypto";
import { OciError } from "./errors.ts";

/** `sha256:<hex>` of `bytes`, the content address of a blob or manifest. */
export function sha256Digest(bytes: Uint8Array): string {
  return `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
}

/**
 * Throws unless `bytes` hash to `digest` (and have `size` bytes when given). `what` names the
 * content in the error (`blob sha256:… from 127.0.0.1:5000/x/y`).
 */
export function verifyDigest(bytes: Uint8Array, digest: string, what: string, size?: number) {
  if (size !== undefined && bytes.length !== size) {
    throw new OciError(`${what}: size mismatch (expected ${size} bytes, got ${bytes.length})`);
  }
  const actual = sha256Digest(bytes);
  if (actual !== digest) {
    throw new OciError(`${what}: digest mismatch (expected ${digest}, content is ${actual})`);
  }
}
