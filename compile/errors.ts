/** A compilation that cannot proceed: missing source, tool failure, unusable header. */
export class CompileError extends Error {
  /** Creates an error; `details` (e.g. clang's diagnostics) is printed before the message. */
  constructor(message: string, readonly details?: string) {
    super(message);
    this.name = "CompileError";
  }
}
