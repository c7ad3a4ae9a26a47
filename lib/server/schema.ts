import { Buffer } from "node:buffer";
import { z } from "zod";

// Clients generated from upstream's OpenAPI file send null for absent optional fields.
const count = z.number().int().nonnegative();

/** `POST /task`: upstream's request, with the program types this server knows. */
export function startRequest(types: [string, ...string[]]) {
  return z.object({
    program_data_buf: z.string(),
    program_type: z.enum(types),
    program_name: z.string().nullish(),
    btf_archive_path: z.string().nullish(),
    extra_args: z.array(z.string()).nullish(),
    export_json: z.boolean().nullish(),
  });
}

/** `POST /stop`, `/pause`, `/resume`. */
export const IdRequest = z.object({ id: count });

/** `POST /log`. */
export const LogRequest = z.object({
  id: count,
  log_cursor: count.nullish(),
  maximum_count: count.nullish(),
});

/** `GET /task/{id}/log`: `follow=1` keeps the stream open; `cursor=N` starts there. */
export const FollowQuery = z.object({
  follow: z.enum(["0", "1", "true", "false"]).optional(),
  cursor: z.string().regex(/^\d+$/, "expected a non-negative integer").optional(),
});

/** The first problem of a failed validation, naming the field. */
export function firstIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  const where = issue.path.join(".") || "body";
  // zod words an absent field "received undefined": say what the client did wrong instead.
  if (issue.code === "invalid_type" && / received undefined$/.test(issue.message)) {
    return `${where}: missing (expected ${issue.expected})`;
  }
  return `${where}: ${issue.message.replace(/^Invalid input: /, "")}`;
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * Decodes `program_data_buf`: standard base64 with or without padding (upstream's client sends
 * none; most tools pad). Throws with what is wrong.
 */
export function decodeBase64(text: string): Uint8Array {
  const bad = text.search(/[^A-Za-z0-9+/=]/);
  if (bad !== -1) throw new Error(`character ${JSON.stringify(text[bad])} at offset ${bad}`);
  const bare = text.replace(/=+$/, "");
  if (
    !BASE64.test(text) || bare.length % 4 === 1 || (text.length !== bare.length && text.length % 4)
  ) {
    throw new Error(`malformed padding or length (${text.length} characters)`);
  }
  const b = Buffer.from(bare, "base64");
  return new Uint8Array(b.buffer, b.byteOffset, b.length);
}
