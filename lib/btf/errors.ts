/** BTF data that cannot be read or does not say what the caller needs. */
export class BtfError extends Error {
  /** Creates an error whose message names the offending type or field. */
  constructor(message: string) {
    super(message);
    this.name = "BtfError";
  }
}
