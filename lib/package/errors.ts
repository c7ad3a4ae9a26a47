/** A package that cannot be used: not JSON/YAML, bad base64 or zlib, or a schema violation. */
export class PackageError extends Error {
  /** Creates an error; `path` names the offending field (`meta.bpf_skel.maps[2].name`). */
  constructor(message: string, readonly path?: string) {
    super(message);
    this.name = "PackageError";
  }
}
