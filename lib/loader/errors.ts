import { ffi } from "../../ffi/mod.ts";

/**
 * The loader could not open, load, attach or configure a BPF object. `message` is one line for
 * the user; `details` holds libbpf's log (with the verifier log) for `--verbose`.
 */
export class LoaderError extends Error {
  /** Creates an error; `details` is the multi-line libbpf log behind it, if any. */
  constructor(message: string, readonly details?: string, readonly errno?: number) {
    super(message);
    this.name = "LoaderError";
  }
}

/** libbpf's text for an error code (positive or negative errno, or a libbpf code). */
export function strerror(err: number): string {
  const buf = new Uint8Array(256);
  ffi().libbpf.libbpf_strerror(Math.abs(err), buf, buf.length);
  const end = buf.indexOf(0);
  return new TextDecoder().decode(buf.subarray(0, end < 0 ? buf.length : end));
}
