import { createHash, timingSafeEqual } from "node:crypto";

const digest = (s: string) => createHash("sha256").update(s).digest();

/**
 * Whether an `Authorization` header carries `Bearer <token>`. Both sides are hashed first, so
 * the comparison takes the same time whatever the length or the first wrong byte.
 */
export function bearerMatches(header: string | null | undefined, token: string): boolean {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? "");
  const given = digest(m ? m[1] : "");
  return timingSafeEqual(given, digest(token)) && m !== null;
}

/** Whether `addr` is a loopback address (or `localhost`). */
export function isLoopback(addr: string): boolean {
  const a = addr.replace(/^\[|\]$/g, "").toLowerCase();
  return a === "localhost" || a === "::1" || /^127\.\d+\.\d+\.\d+$/.test(a) ||
    /^::ffff:127\./.test(a);
}
