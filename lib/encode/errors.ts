/**
 * A JS value that does not fit its BTF type (wrong kind of value, out of range, too long, an
 * unknown member), or a BTF type that cannot be encoded at all. The message starts with the
 * path of the field at fault: `value.slots[3]: 4294967296 is out of range for __u32 (…)`.
 */
export class EncodeError extends Error {
  /** Creates an error whose message names the field path at fault. */
  constructor(message: string) {
    super(message);
    this.name = "EncodeError";
  }
}

/**
 * What a field writer throws: the problem, and the path segments (`.member`, `[index]`) that
 * enclosing writers prepend while it unwinds. The encoder turns it into an `EncodeError`, so
 * no path string is built unless something is wrong.
 */
export class FieldProblem {
  /** Path segments from the encoded value down to the field at fault. */
  readonly segments: string[] = [];

  /** Records `detail`, the problem as said of the field itself. */
  constructor(readonly detail: string) {}

  /** The user-facing message, with the path rooted at `root` (`key`, `value`). */
  message(root: string): string {
    return `${root}${this.segments.join("")}: ${this.detail}`;
  }
}

/** `error` with `segment` prepended to its path when it is a `FieldProblem`; for rethrowing. */
export function within(error: unknown, segment: string): unknown {
  if (error instanceof FieldProblem) error.segments.unshift(segment);
  return error;
}
