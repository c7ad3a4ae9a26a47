/** OCI image manifest. */
export const OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
/** OCI image index (multi-platform). */
export const OCI_INDEX = "application/vnd.oci.image.index.v1+json";
/** Docker schema 2 manifest. */
export const DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json";
/** Docker manifest list. */
export const DOCKER_MANIFEST_LIST = "application/vnd.docker.distribution.manifest.list.v2+json";
/** Every manifest type we ask for (registry 2.8 answers 404 to OCI manifests without it). */
export const MANIFEST_ACCEPT = [OCI_MANIFEST, OCI_INDEX, DOCKER_MANIFEST, DOCKER_MANIFEST_LIST]
  .join(", ");

/** Upstream ecli's (oci-distribution's) wasm module layer. */
export const WASM_LAYER = "application/vnd.wasm.content.layer.v1+wasm";
/** Upstream ecli's wasm config, whose blob is `{}`. */
export const WASM_CONFIG = "application/vnd.wasm.config.v1+json";

/** artifactType of our eBPF package artifacts. */
export const PACKAGE_ARTIFACT = "application/vnd.ecli-ts.package.v1";
/** Config of our package artifacts: the package summary (JSON). */
export const PACKAGE_CONFIG = "application/vnd.ecli-ts.package.config.v1+json";
/** Layer: a package.json as ecc writes it. */
export const PACKAGE_JSON_LAYER = "application/vnd.ecli-ts.package.v1+json";
/** Layer: a package.yaml as `ecc -y` writes it. */
export const PACKAGE_YAML_LAYER = "application/vnd.ecli-ts.package.v1+yaml";
/** Layer: a package.tar (package.json plus tailored BTF, as `ecc --btfgen` writes it). */
export const PACKAGE_TAR_LAYER = "application/vnd.ecli-ts.package.v1.tar";

/** Manifests larger than this are refused (containerd and registries use the same bound). */
export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;
