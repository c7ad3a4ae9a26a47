/**
 * OCI distribution: our own registry client on `fetch` (probe, manifests, blobs, uploads,
 * Basic and Bearer auth, docker's credentials), the artifact formats (our packages, upstream's
 * wasm modules), and a content-addressed cache that pulls go through.
 * @module
 */
export * from "./errors.ts";
export * from "./reference.ts";
export * from "./digest.ts";
export * from "./media_types.ts";
export * from "./credentials.ts";
export * from "./client.ts";
export * from "./artifact.ts";
export * from "./cache.ts";
export * from "./transfer.ts";
