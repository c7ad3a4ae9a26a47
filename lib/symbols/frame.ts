/** One resolved stack frame, as JSON output and handlers see it. */
export interface Frame {
  /** The instruction address (kernel addresses do not fit a double: always a bigint). */
  addr: bigint;
  /** The function containing it; null when no symbol covers the address. */
  sym: string | null;
  /** Bytes from the function's start (from the mapping's start when `sym` is null). */
  offset: number;
  /**
   * Where the code lives: `kernel`, a kernel module's name, or the path of the mapped file
   * (`[vdso]` and the like for anonymous code); null when the address is in no mapping.
   */
  module: string | null;
}

/** `sym+0xoff` as upstream prints a symbolised frame; undefined when unresolved. */
export function frameSymbol(f: Frame): string | undefined {
  return f.sym === null ? undefined : `${f.sym}+0x${f.offset.toString(16)}`;
}
