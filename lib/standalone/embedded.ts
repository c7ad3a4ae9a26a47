import { closeSync, openSync, readSync } from "node:fs";
import { Buffer } from "node:buffer";
import { elfExtent } from "../elf/mod.ts";
import type { ProgramSource } from "../source/mod.ts";
import { StandaloneError } from "./errors.ts";
import { decodePayload, type ToolPayload } from "./payload.ts";

/** Largest payload a tool may carry: a package with a bundled handler is far smaller. */
const MAX_PAYLOAD = 256 * 1024 * 1024;

/** A payload found appended to an executable. */
export interface EmbeddedTool {
  /** The executable file it was read from. */
  path: string;
  /** Size of the executable proper (where the payload starts). */
  executableBytes: number;
  /** Size of the payload with its trailer. */
  payloadBytes: number;
  /** The decoded payload. */
  payload: ToolPayload;
}

/** The program a tool carries, as `readProgram` would have read it. */
export function toolProgram(tool: EmbeddedTool): ProgramSource {
  const { source, type, data } = tool.payload.program;
  return { source, type, bytes: new Uint8Array(Buffer.from(data, "base64")) };
}

/**
 * The tool payload appended to the executable at `path`, or undefined when nothing is
 * appended (a plain ecli). `version` is this executable's ecli version: a payload made by
 * another version is refused with both named. Errors do not name the file: the caller's
 * `TOOL: error:` prefix does.
 */
export function readEmbeddedTool(path: string, version: string): EmbeddedTool | undefined {
  const { end, size } = elfExtent(path);
  if (size === end) return undefined;
  const length = size - end;
  if (length > MAX_PAYLOAD) {
    throw new StandaloneError(
      `the embedded package is damaged: ${length} bytes appended, more than a payload can be`,
    );
  }
  const bytes = new Uint8Array(length);
  const fd = openSync(path, "r");
  try {
    if (readSync(fd, bytes, 0, length, end) !== length) {
      throw new StandaloneError(`${path}: the file changed while it was read`);
    }
  } finally {
    closeSync(fd);
  }
  const payload = decodePayload(bytes);
  if (payload.ecli !== version) {
    throw new StandaloneError(
      `made by ecli ${payload.ecli}, but this executable is ecli ${version}; ` +
        `rebuild the tool with 'ecli bundle' of ecli ${version}`,
    );
  }
  return { path, executableBytes: end, payloadBytes: length, payload };
}
