/** A handler module that cannot be used, or a handler that threw. */
export class HandlerError extends Error {
  /** Creates an error; `userStack` is the handler's own stack, our frames removed. */
  constructor(message: string, readonly userStack?: string) {
    super(message);
    this.name = "HandlerError";
  }
}
