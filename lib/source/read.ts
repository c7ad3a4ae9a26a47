import { existsSync } from "node:fs";
import { readSource } from "../package/mod.ts";
import { formatReference, hasRegistryHost, parseReference } from "../oci/reference.ts";
import type { PulledProgram, PullOptions } from "../oci/transfer.ts";
import { detectProgramType, type ProgramType } from "./program_type.ts";

/** A program's bytes, where they came from, and their type. */
export interface ProgramSource {
  /** What the user gave (path, URL, `-`, OCI reference). */
  source: string;
  /** Found from `-p`, the name, the content, or the OCI media type. */
  type: ProgramType;
  /** The bytes. */
  bytes: Uint8Array;
  /** Set when the program came from a registry (or its cache). */
  oci?: PulledProgram & { reference: string };
}

/** Where to read from and how. */
export interface ReadProgramOptions extends PullOptions {
  /** `-p/--prog-type`: skips detection. */
  type?: ProgramType;
}

/**
 * Reads a program from an existing file, an http(s) URL, `-` (stdin), or an OCI reference
 * whose first component is a registry host (`localhost:5000/x/y:1`, `ghcr.io/org/tool`),
 * and finds its type. A reference is never mistaken for a URL (`localhost:` is no scheme).
 */
export async function readProgram(
  source: string,
  opts: ReadProgramOptions = {},
): Promise<ProgramSource> {
  const local = source === "-" || /^https?:\/\//.test(source) || existsSync(source);
  if (!local && hasRegistryHost(source)) {
    const ref = parseReference(source);
    // The registry client loads only for references: file runs do not pay for it.
    const { pullProgram } = await import("../oci/transfer.ts");
    const pulled = await pullProgram(ref, opts);
    const type = detectProgramType(
      { source, bytes: pulled.bytes, mediaTypeType: pulled.type },
      opts.type,
    );
    return {
      source,
      type,
      bytes: pulled.bytes,
      oci: { ...pulled, reference: formatReference(ref) },
    };
  }
  const bytes = await readSource(source);
  const name = source === "-" ? undefined : source;
  return { source, type: detectProgramType({ source, name, bytes }, opts.type), bytes };
}
