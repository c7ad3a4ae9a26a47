/** A package that cannot run as described: missing maps, unusable export types. */
export class RunError extends Error {
  /** Creates an error; `details` (e.g. libbpf's log) is shown before it under `--verbose`. */
  constructor(message: string, readonly details?: string) {
    super(message);
    this.name = "RunError";
  }
}
