import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import process from "node:process";
import { verifyDigest } from "./digest.ts";
import { OciError } from "./errors.ts";
import { DIGEST, type ImageReference } from "./reference.ts";

/** `$XDG_CACHE_HOME/ecli/oci`, else `~/.cache/ecli/oci`. */
export function defaultCacheDir(): string {
  const base = process.env.XDG_CACHE_HOME || join(homedir(), ".cache");
  return join(base, "ecli", "oci");
}

/**
 * A content-addressed store of manifests and blobs (`blobs/sha256/<hex>`), verified on write
 * and on read, plus the digest each tag last resolved to (`tags/<registry>/<repo>/_tags/<tag>`).
 */
export class BlobCache {
  /** A cache rooted at `dir`. */
  constructor(readonly dir: string = defaultCacheDir()) {}

  /** Where a blob lives. */
  blobPath(digest: string): string {
    if (!DIGEST.test(digest)) throw new OciError(`not a sha256 digest: ${digest}`);
    return join(this.dir, "blobs", "sha256", digest.slice(7));
  }

  /** A cached blob (verified), or undefined when absent; a corrupt one throws naming its file. */
  read(digest: string, size?: number): Uint8Array | undefined {
    const path = this.blobPath(digest);
    if (!existsSync(path)) return undefined;
    const bytes = new Uint8Array(readFileSync(path));
    verifyDigest(bytes, digest, `cached blob ${path} is corrupt`, size);
    return bytes;
  }

  /** Stores a blob after checking it hashes to `digest` (written whole, then renamed). */
  write(digest: string, bytes: Uint8Array): void {
    verifyDigest(bytes, digest, `blob ${digest}`);
    const path = this.blobPath(digest);
    if (existsSync(path)) return;
    this.#atomicWrite(path, bytes);
  }

  #tagPath(ref: ImageReference): string {
    return join(this.dir, "tags", ref.registry, ref.repository, "_tags", ref.tag ?? "latest");
  }

  /** The manifest digest `ref`'s tag resolved to last time, if any. */
  tag(ref: ImageReference): string | undefined {
    try {
      const d = readFileSync(this.#tagPath(ref), "utf8").trim();
      return DIGEST.test(d) ? d : undefined;
    } catch {
      return undefined;
    }
  }

  /** Records that `ref`'s tag resolves to `digest`. */
  setTag(ref: ImageReference, digest: string): void {
    this.#atomicWrite(this.#tagPath(ref), new TextEncoder().encode(digest + "\n"));
  }

  #atomicWrite(path: string, bytes: Uint8Array): void {
    mkdirSync(dirname(path), { recursive: true });
    const tmp = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
    writeFileSync(tmp, bytes);
    renameSync(tmp, path);
  }
}
