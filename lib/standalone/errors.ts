/** A standalone tool that cannot be made or run: a damaged payload, another version, a bad input. */
export class StandaloneError extends Error {
  /** Creates an error whose message names the tool file and what is wrong with it. */
  constructor(message: string) {
    super(message);
    this.name = "StandaloneError";
  }
}
