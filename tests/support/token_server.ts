/**
 * Test support: a token service for the registry's `auth.token` mode (distribution's token
 * spec): checks Basic credentials and issues an RS256 JWT whose `x5c` header carries a
 * self-signed certificate the registry trusts (made with openssl). It lets the tests drive
 * the `WWW-Authenticate: Bearer` flow against the real registry, on 127.0.0.1.
 * @module
 */
import { Buffer } from "node:buffer";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A running token service. */
export interface TokenServer {
  /** `realm` for the registry's config. */
  realm: string;
  /** `service` (the tokens' audience). */
  service: string;
  /** `issuer`. */
  issuer: string;
  /** The certificate bundle the registry verifies tokens with. */
  rootCertBundle: string;
  /** The scopes asked for, in order. */
  scopes: string[];
  /** Stops it. */
  stop(): Promise<void>;
}

const b64url = (b: Uint8Array | string) =>
  Buffer.from(b).toString("base64").replace(/=+$/, "").replace(/\+/g, "-").replace(/\//g, "_");

/** Starts a token service granting every scope asked for to `user` (and nothing to others). */
export async function startTokenServer(
  user: { user: string; password: string },
): Promise<TokenServer> {
  const dir = mkdtempSync(join(tmpdir(), "ecli-token-"));
  const key = join(dir, "key.pem");
  const cert = join(dir, "cert.pem");
  const r = spawnSync("openssl", [
    "req",
    "-x509",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-keyout",
    key,
    "-out",
    cert,
    "-days",
    "1",
    "-subj",
    "/CN=ecli-test-token",
  ], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`openssl failed: ${r.stderr}`);
  const pem = (text: string) =>
    Buffer.from(text.replace(/-----[^-]+-----/g, "").replace(/\s+/g, ""), "base64");
  const certDer = pem(readFileSync(cert, "utf8"));
  const signKey = await crypto.subtle.importKey(
    "pkcs8",
    pem(readFileSync(key, "utf8")),
    { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const service = "ecli-test-registry";
  const issuer = "ecli-test-issuer";
  const scopes: string[] = [];
  const expected = `Basic ${btoa(`${user.user}:${user.password}`)}`;
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    const url = new URL(req.url);
    const scope = url.searchParams.get("scope") ?? "";
    scopes.push(scope);
    if (req.headers.get("authorization") !== expected) {
      return Response.json({ details: "invalid credentials" }, { status: 401 });
    }
    const now = Math.floor(Date.now() / 1000);
    const access = scope
      ? scope.split(" ").map((s) => {
        const [type, name, actions] = s.split(":");
        return { type, name, actions: actions.split(",") };
      })
      : [];
    const header = { typ: "JWT", alg: "RS256", x5c: [certDer.toString("base64")] };
    const claims = {
      iss: issuer,
      sub: user.user,
      aud: service,
      exp: now + 300,
      nbf: now - 10,
      iat: now,
      jti: crypto.randomUUID(),
      access,
    };
    const body = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
    const sig = await crypto.subtle.sign(
      "RSASSA-PKCS1-v1_5",
      signKey,
      new TextEncoder().encode(body),
    );
    return Response.json({ token: `${body}.${b64url(new Uint8Array(sig))}`, expires_in: 300 });
  });
  return {
    realm: `http://127.0.0.1:${server.addr.port}/token`,
    service,
    issuer,
    rootCertBundle: cert,
    scopes,
    async stop() {
      await server.shutdown();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
