/** A program flag that cannot be used: unknown, missing its value, or a value out of range. */
export class ArgError extends Error {
  /** Creates an error whose message names the flag and what it accepts. */
  constructor(message: string) {
    super(message);
    this.name = "ArgError";
  }
}
