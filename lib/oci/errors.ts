/**
 * A registry or reference problem: unreachable registry, refused credentials, unknown tag,
 * digest mismatch, an artifact that is not ours. The message is the whole user-facing line.
 */
export class OciError extends Error {
  /** Creates an error; `status` is the HTTP status when a registry answered. */
  constructor(message: string, readonly status?: number) {
    super(message);
    this.name = "OciError";
  }
}
