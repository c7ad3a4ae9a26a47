/** A probe, field or option of `ecli trace` that does not exist or cannot work here. */
export class TraceError extends Error {
  override name = "TraceError";
}
