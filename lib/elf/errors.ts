/** An ELF file that cannot be read: truncated, not ELF64 little-endian, or internally inconsistent. */
export class ElfError extends Error {
  /** Creates an error whose message says what is wrong with the object. */
  constructor(message: string) {
    super(message);
    this.name = "ElfError";
  }
}
