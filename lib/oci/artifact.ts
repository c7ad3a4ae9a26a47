import type { ProgramType } from "../source/program_type.ts";
import type { Descriptor } from "./client.ts";
import { sha256Digest } from "./digest.ts";
import { OciError } from "./errors.ts";
import {
  DOCKER_MANIFEST,
  DOCKER_MANIFEST_LIST,
  OCI_INDEX,
  OCI_MANIFEST,
  PACKAGE_ARTIFACT,
  PACKAGE_CONFIG,
  PACKAGE_JSON_LAYER,
  PACKAGE_TAR_LAYER,
  PACKAGE_YAML_LAYER,
  WASM_CONFIG,
  WASM_LAYER,
} from "./media_types.ts";

/** The layer media type of each program type. */
export const LAYER_MEDIA_TYPES: Record<ProgramType, string> = {
  json: PACKAGE_JSON_LAYER,
  yaml: PACKAGE_YAML_LAYER,
  tar: PACKAGE_TAR_LAYER,
  wasm: WASM_LAYER,
};

/** The program type a layer media type carries, if it is one of ours or upstream's. */
export function typeOfLayer(mediaType: string): ProgramType | undefined {
  const hit = Object.entries(LAYER_MEDIA_TYPES).find(([, mt]) => mt === mediaType);
  return hit?.[0] as ProgramType | undefined;
}

/** A blob to upload: its bytes and descriptor. */
export interface ArtifactBlob {
  /** The descriptor that names it in the manifest. */
  descriptor: Descriptor;
  /** Its bytes. */
  bytes: Uint8Array;
}

/** A manifest with its blobs, ready to push. */
export interface Artifact {
  /** Config blob. */
  config: ArtifactBlob;
  /** The one program layer. */
  layer: ArtifactBlob;
  /** Serialised manifest (hashed as sent). */
  manifest: Uint8Array;
  /** sha256 of `manifest`. */
  digest: string;
}

function blob(
  bytes: Uint8Array,
  mediaType: string,
  annotations?: Record<string, string>,
): ArtifactBlob {
  const descriptor: Descriptor = { mediaType, digest: sha256Digest(bytes), size: bytes.length };
  if (annotations && Object.keys(annotations).length) descriptor.annotations = annotations;
  return { descriptor, bytes };
}

function artifact(
  config: ArtifactBlob,
  layer: ArtifactBlob,
  annotations: Record<string, string>,
  artifactType?: string,
): Artifact {
  // Field order as oci-distribution serialises it, so upstream pushes and ours look alike.
  const doc: Record<string, unknown> = { schemaVersion: 2, mediaType: OCI_MANIFEST };
  if (artifactType) doc.artifactType = artifactType;
  doc.config = config.descriptor;
  doc.layers = [layer.descriptor];
  if (Object.keys(annotations).length) doc.annotations = annotations;
  const manifest = new TextEncoder().encode(JSON.stringify(doc));
  return { config, layer, manifest, digest: sha256Digest(manifest) };
}

/**
 * A wasm module exactly as upstream's `ecli push` sends it: config `{}` of
 * `application/vnd.wasm.config.v1+json`, one `application/vnd.wasm.content.layer.v1+wasm`
 * layer without annotations, manifest annotations `-a` plus `org.opencontainers.image.title`
 * (the module path as given) unless the user set it.
 */
export function wasmArtifact(
  module: Uint8Array,
  modulePath: string,
  annotations: Record<string, string> = {},
): Artifact {
  const config = blob(new TextEncoder().encode("{}"), WASM_CONFIG);
  const notes = { ...annotations };
  notes["org.opencontainers.image.title"] ??= modulePath;
  return artifact(config, blob(module, WASM_LAYER), notes);
}

/**
 * One of our package artifacts: artifactType `application/vnd.ecli-ts.package.v1`, config
 * = `summary` as JSON, one layer with the package bytes (titled with the file's name).
 */
export function packageArtifact(
  type: Exclude<ProgramType, "wasm">,
  bytes: Uint8Array,
  fileName: string,
  summary: Record<string, unknown>,
  annotations: Record<string, string>,
): Artifact {
  const config = blob(new TextEncoder().encode(JSON.stringify(summary)), PACKAGE_CONFIG);
  const layer = blob(bytes, LAYER_MEDIA_TYPES[type], {
    "org.opencontainers.image.title": fileName,
  });
  return artifact(config, layer, annotations, PACKAGE_ARTIFACT);
}

/** What a pulled manifest holds for us: the program layer and its type. */
export interface ProgramManifest {
  /** Type from the layer's media type. */
  type: ProgramType;
  /** The program layer. */
  layer: Descriptor;
  /** The config descriptor. */
  config: Descriptor;
  /** Manifest annotations. */
  annotations: Record<string, string>;
}

function descriptorOf(v: unknown, where: string): Descriptor {
  const d = v as Descriptor;
  if (
    !d || typeof d !== "object" || typeof d.mediaType !== "string" ||
    typeof d.digest !== "string" || !Number.isSafeInteger(d.size) || d.size < 0
  ) throw new OciError(`${where}: not a valid descriptor`);
  if (!/^sha256:[a-f0-9]{64}$/.test(d.digest)) {
    throw new OciError(`${where}: digest '${d.digest}' is not sha256:<64 hex digits>`);
  }
  return d;
}

/** A registry-supplied value as it may appear in one error line: plain text, else quoted. */
function shown(v: unknown): string {
  if (typeof v === "string" && /^[\x20-\x7e]{0,200}$/.test(v)) return v;
  return (JSON.stringify(v) ?? String(v)).slice(0, 200);
}

/** What kind of foreign artifact a manifest is, for the error line. */
function foreignKind(configType: string, artifactType?: string): string {
  if (
    /^application\/vnd\.(oci\.image\.config\.v1|docker\.container\.image\.v1)\+json$/.test(
      configType,
    )
  ) {
    return `a container image (config ${configType})`;
  }
  if (artifactType?.startsWith("application/vnd.gadget.")) {
    return `an Inspektor Gadget image (${artifactType})`;
  }
  return `an artifact of type ${artifactType ?? configType}`;
}

/**
 * Reads a manifest and finds the program in it: our package artifacts (one layer of our
 * media types) and upstream's wasm modules (first wasm layer, as upstream reads it). Any
 * other manifest (container image, image index, other artifacts) is refused, naming it.
 */
export function programManifest(
  bytes: Uint8Array,
  mediaType: string,
  where: string,
): ProgramManifest {
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    throw new OciError(`${where}: manifest is not JSON`);
  }
  const mt = doc?.mediaType ?? mediaType;
  if (mt === OCI_INDEX || mt === DOCKER_MANIFEST_LIST) {
    throw new OciError(
      `${where}: is an image index (a multi-platform image), not an eBPF package or wasm module`,
    );
  }
  if (doc?.schemaVersion !== 2 || (mt !== OCI_MANIFEST && mt !== DOCKER_MANIFEST)) {
    throw new OciError(`${where}: unsupported manifest (media type ${mt ? shown(mt) : "none"})`);
  }
  const config = descriptorOf(doc.config, `${where}: config`);
  if (!Array.isArray(doc.layers)) throw new OciError(`${where}: manifest has no layers`);
  const layers = doc.layers.map((l, i) => descriptorOf(l, `${where}: layers[${i}]`));
  const artifactType = typeof doc.artifactType === "string" ? doc.artifactType : undefined;
  const annotations = (doc.annotations ?? {}) as Record<string, string>;
  const ours = artifactType === PACKAGE_ARTIFACT || config.mediaType === PACKAGE_CONFIG;
  const wasm = !ours &&
    (config.mediaType === WASM_CONFIG || layers.some((l) => l.mediaType === WASM_LAYER));
  if (!ours && !wasm) {
    throw new OciError(
      `${where}: is ${
        foreignKind(shown(config.mediaType), artifactType && shown(artifactType))
      }, not an eBPF package or wasm module`,
    );
  }
  const typed = layers.filter((l) => typeOfLayer(l.mediaType) !== undefined);
  const layer = wasm ? typed.find((l) => l.mediaType === WASM_LAYER) : typed[0];
  if (!layer || (ours && typed.length !== 1)) {
    const got = layers.map((l) => shown(l.mediaType)).join(", ") || "none";
    throw new OciError(`${where}: expected one program layer, the manifest has: ${got}`);
  }
  return { type: typeOfLayer(layer.mediaType)!, layer, config, annotations };
}
