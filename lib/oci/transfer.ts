import type { ProgramType } from "../source/program_type.ts";
import { type Artifact, programManifest } from "./artifact.ts";
import { BlobCache } from "./cache.ts";
import { RegistryClient, type RegistryOptions } from "./client.ts";
import { sha256Digest } from "./digest.ts";
import { OciError } from "./errors.ts";
import { formatReference, type ImageReference } from "./reference.ts";

/** Layers larger than this are refused (packages are kilobytes, wasm modules megabytes). */
export const MAX_PROGRAM_BYTES = 512 * 1024 * 1024;

/** How to pull. */
export interface PullOptions extends RegistryOptions {
  /** Never contact the registry: tags resolve from the cache only. */
  offline?: boolean;
  /** The cache (default: `$XDG_CACHE_HOME/ecli/oci`). */
  cache?: BlobCache;
}

/** A program pulled from a registry (or its cached copy). */
export interface PulledProgram {
  /** The program bytes (the layer). */
  bytes: Uint8Array;
  /** Type from the layer's media type. */
  type: ProgramType;
  /** Manifest digest: `registry/repo@digest` pins exactly this program. */
  digest: string;
  /** Layer media type. */
  mediaType: string;
  /** Manifest annotations. */
  annotations: Record<string, string>;
}

/**
 * Resolves `ref` and returns its program through the content-addressed cache. Digests pin:
 * a cached `@sha256:` needs no registry. Tags are resolved at the registry every time unless
 * `offline`. Everything is verified before anything is written, so a bad manifest or blob
 * leaves the cache as it was.
 */
export async function pullProgram(
  ref: ImageReference,
  opts: PullOptions = {},
): Promise<PulledProgram> {
  const cache = opts.cache ?? new BlobCache();
  const name = formatReference(ref);
  let client: RegistryClient | undefined;
  const registry = () => client ??= new RegistryClient(ref.registry, ref.repository, opts);
  const toWrite: [string, Uint8Array][] = [];

  let digest = ref.digest;
  let manifest: Uint8Array | undefined;
  if (!digest) {
    if (opts.offline) {
      digest = cache.tag(ref);
      if (!digest) throw new OciError(`${name}: not in the cache (--offline)`);
    } else {
      const got = await registry().getManifest(ref.tag!);
      digest = got.digest;
      manifest = got.bytes;
    }
  }
  manifest ??= cache.read(digest);
  if (!manifest) {
    if (opts.offline) throw new OciError(`${name}: not in the cache (--offline)`);
    manifest = (await registry().getManifest(digest)).bytes;
  }
  if (sha256Digest(manifest) !== digest) {
    throw new OciError(
      `manifest ${name}: digest mismatch (expected ${digest}, content is ${
        sha256Digest(manifest)
      })`,
    );
  }
  toWrite.push([digest, manifest]);
  const program = programManifest(manifest, "", name);
  let bytes = cache.read(program.layer.digest, program.layer.size);
  if (!bytes) {
    if (opts.offline) {
      throw new OciError(`${name}: layer ${program.layer.digest} not in the cache (--offline)`);
    }
    bytes = await registry().getBlob(program.layer, MAX_PROGRAM_BYTES);
    toWrite.push([program.layer.digest, bytes]);
  }
  for (const [d, b] of toWrite) cache.write(d, b);
  if (!ref.digest && ref.tag) cache.setTag(ref, digest);
  return {
    bytes,
    type: program.type,
    digest,
    mediaType: program.layer.mediaType,
    annotations: program.annotations,
  };
}

/** Pushes an artifact under `ref`'s tag: config and layer blobs (unless present), manifest. */
export async function pushArtifact(
  ref: ImageReference,
  artifact: Artifact,
  opts: RegistryOptions = {},
): Promise<string> {
  if (!ref.tag) throw new OciError(`${formatReference(ref)}: push needs a tag, not a digest`);
  const client = new RegistryClient(ref.registry, ref.repository, opts, "pull,push");
  for (const b of [artifact.config, artifact.layer]) {
    await client.pushBlob(b.bytes, b.descriptor.digest);
  }
  await client.putManifest(
    ref.tag,
    artifact.manifest,
    "application/vnd.oci.image.manifest.v1+json",
  );
  return artifact.digest;
}
