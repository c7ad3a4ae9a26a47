import { createHash } from "node:crypto";
import { z } from "zod";
import { PROGRAM_TYPES, type ProgramType } from "../source/program_type.ts";
import { StandaloneError } from "./errors.ts";

/**
 * What a standalone tool carries: the program as its author gave it (a JSON/YAML package, a
 * package.tar, a wasm module), the handler bundled with its imports (or `-e` code), and the
 * flags every run starts with.
 */
export const ToolPayloadSchema = z.object({
  /** The ecli version that made the tool: only the same version runs it. */
  ecli: z.string(),
  /** The tool's name (the output file's), used in its usage line. */
  name: z.string().min(1),
  /** The program as its author gave it: name, type (as `-p` takes it) and bytes (base64). */
  program: z.object({
    source: z.string(),
    type: z.enum(PROGRAM_TYPES as [ProgramType, ...ProgramType[]]),
    data: z.base64(),
  }).strict(),
  /** The handler module, bundled into one ES module. */
  handler: z.object({ source: z.string(), code: z.string() }).strict().optional(),
  /** Inline handler code (`-e`). */
  eval: z.string().optional(),
  /** Arguments placed before the user's: ecli run options and program flags. */
  args: z.array(z.string()),
}).strict();

/** The decoded payload of a standalone tool. */
export type ToolPayload = z.infer<typeof ToolPayloadSchema>;

/** Trailer magic, first and last 8 bytes of the 64-byte trailer. */
const MAGIC = new TextEncoder().encode("ECLITOOL");
const END = new TextEncoder().encode("TOOLEND\0");
/** Payload layout version written in the trailer. */
const FORMAT = 1;
/** Size of the trailer that ends every tool file. */
export const TRAILER_SIZE = 64;

function sha256(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(createHash("sha256").update(bytes).digest());
}

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/**
 * The bytes appended to an executable to make it a tool: the payload as JSON, then a trailer
 * (magic, format, payload length, sha256 of the payload, end magic) that is checked before the
 * payload is believed.
 */
export function encodePayload(payload: ToolPayload): Uint8Array {
  const body = new TextEncoder().encode(JSON.stringify(ToolPayloadSchema.parse(payload)));
  const out = new Uint8Array(body.length + TRAILER_SIZE);
  out.set(body);
  const t = new DataView(out.buffer, body.length, TRAILER_SIZE);
  out.set(MAGIC, body.length);
  t.setUint32(8, FORMAT, true);
  t.setBigUint64(16, BigInt(body.length), true);
  out.set(sha256(body), body.length + 24);
  out.set(END, body.length + 56);
  return out;
}

/** The payload's JSON and sha256, read back from the bytes appended to an executable. */
export function decodePayload(appended: Uint8Array): ToolPayload {
  const damaged = (why: string) =>
    new StandaloneError(
      `the embedded package is damaged: ${why}; rebuild the tool with 'ecli bundle'`,
    );
  if (appended.length < TRAILER_SIZE) {
    throw damaged(`${appended.length} bytes after the executable, too short for a payload`);
  }
  const at = appended.length - TRAILER_SIZE;
  const trailer = appended.subarray(at);
  if (!equal(trailer.subarray(0, 8), MAGIC) || !equal(trailer.subarray(56), END)) {
    throw damaged("no payload trailer at the end (the file is truncated or was changed)");
  }
  const t = new DataView(trailer.buffer, trailer.byteOffset, TRAILER_SIZE);
  const format = t.getUint32(8, true);
  if (format !== FORMAT) throw damaged(`payload format ${format}, this ecli reads ${FORMAT}`);
  const length = t.getBigUint64(16, true);
  if (length !== BigInt(at)) {
    throw damaged(`the trailer announces ${length} payload bytes, the file holds ${at}`);
  }
  const body = appended.subarray(0, at);
  const want = trailer.subarray(24, 56);
  const got = sha256(body);
  if (!equal(want, got)) throw damaged(`sha256 ${hex(got)}, expected ${hex(want)}`);
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(body));
  } catch (e) {
    throw damaged(`the payload is not JSON (${(e as Error).message})`);
  }
  const r = ToolPayloadSchema.safeParse(json);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw damaged(`payload ${issue.path.join(".") || "document"}: ${issue.message}`);
  }
  return r.data;
}
