/** A value that does not have the shape an output format needs (e.g. a histogram without `slots`). */
export class FormatError extends Error {
  /** Creates an error whose message names the missing or malformed part. */
  constructor(message: string) {
    super(message);
    this.name = "FormatError";
  }
}
