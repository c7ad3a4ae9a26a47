/** A BTF type that cannot be turned into a decoder, or bytes too short for it. */
export class DecodeError extends Error {
  /** Creates an error whose message names the type id and field path at fault. */
  constructor(message: string) {
    super(message);
    this.name = "DecodeError";
  }
}
