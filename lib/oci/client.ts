import { Buffer } from "node:buffer";
import process from "node:process";
import { type Credentials, credentialsFor } from "./credentials.ts";
import { sha256Digest, verifyDigest } from "./digest.ts";
import { OciError } from "./errors.ts";
import { MANIFEST_ACCEPT, MAX_MANIFEST_BYTES } from "./media_types.ts";

/** How to reach a registry. */
export interface RegistryOptions {
  /** Plain HTTP for a host other than localhost/127.0.0.1 (never the default). */
  insecure?: boolean;
  /** Credentials; undefined reads docker's config, null forces anonymous. */
  credentials?: Credentials | null;
}

/** A manifest as the registry served it. */
export interface FetchedManifest {
  /** The exact bytes (their sha256 is the manifest digest). */
  bytes: Uint8Array;
  /** `Content-Type` of the response. */
  mediaType: string;
  /** sha256 of `bytes`, checked against what was asked for or announced. */
  digest: string;
}

/** Blob or manifest address: digest and size. */
export interface Descriptor {
  /** `sha256:<hex>`. */
  digest: string;
  /** Byte length. */
  size: number;
  /** Media type. */
  mediaType: string;
  /** Optional annotations. */
  annotations?: Record<string, string>;
}

/** The manifest size bound: MAX_MANIFEST_BYTES, lowered by `ECLI_OCI_MAX_MANIFEST_BYTES`. */
export function maxManifestBytes(): number {
  const env = Number(process.env.ECLI_OCI_MAX_MANIFEST_BYTES);
  return env > 0 && env < MAX_MANIFEST_BYTES ? env : MAX_MANIFEST_BYTES;
}

/** Whether `registry` may be spoken to over plain HTTP without `--insecure`. */
export function isLoopbackRegistry(registry: string): boolean {
  const host = registry.replace(/:\d+$/, "");
  return host === "localhost" || host === "127.0.0.1" || host === "[::1]";
}

/** One line for a failed connection, naming the registry and the reason. */
function connectionError(registry: string, scheme: string, e: unknown): OciError {
  const err = e as Error & { code?: string; cause?: { code?: string; message?: string } };
  const text = `${err.message} ${err.code ?? ""} ${err.cause?.code ?? ""} ${
    err.cause?.message ?? ""
  }`;
  let why = err.message.split("\n")[0];
  if (/refused/i.test(text)) why = "connection refused";
  else if (/dns|resolve|getaddrinfo|not known|ENOTFOUND/i.test(text)) why = "unknown host";
  else if (/timed? ?out|abort/i.test(text)) why = "timed out";
  else if (scheme === "https" && /tls|ssl|certificate|handshake/i.test(text)) {
    why = `TLS failed (${why}); a plain-HTTP registry needs --insecure`;
  }
  return new OciError(`cannot reach registry ${registry}: ${why}`);
}

/** The `errors[0].message` of a registry error body, when there is one. */
async function errorDetail(res: Response): Promise<string> {
  try {
    const body = JSON.parse(await res.text());
    const e = body?.errors?.[0];
    if (e?.message) return `${String(e.message)} (${res.status})`;
  } catch { /* no JSON body */ }
  return `HTTP ${res.status}`;
}

/** Reads a body, refusing more than `max` bytes (announced or actually sent). */
async function readCapped(res: Response, max: number, what: string): Promise<Uint8Array> {
  const announced = Number(res.headers.get("content-length") ?? NaN);
  const tooBig = () => new OciError(`${what} is larger than the ${max}-byte limit`);
  if (announced > max) {
    await res.body?.cancel();
    throw tooBig();
  }
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of res.body ?? []) {
    total += chunk.length;
    if (total > max) throw tooBig();
    chunks.push(chunk);
  }
  return new Uint8Array(Buffer.concat(chunks));
}

/** `key=value` pairs of a `WWW-Authenticate` challenge. */
function challengeParams(header: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of header.matchAll(/(\w+)="([^"]*)"/g)) out[m[1].toLowerCase()] = m[2];
  return out;
}

/**
 * A client for one repository of an OCI distribution registry, on the runtime's `fetch`:
 * `/v2/` probe, manifests, blobs, monolithic uploads, Basic and Bearer-token auth.
 */
export class RegistryClient {
  /** `http(s)://host[:port]`. */
  readonly base: string;
  #auth?: string;
  #credentials?: Credentials;
  #probed = false;

  /** A client for `registry/repository`; `actions` is the token scope wanted (push adds push). */
  constructor(
    readonly registry: string,
    readonly repository: string,
    opts: RegistryOptions = {},
    readonly actions: "pull" | "pull,push" = "pull",
  ) {
    const scheme = opts.insecure || isLoopbackRegistry(registry) ? "http" : "https";
    const host = registry === "docker.io" ? "registry-1.docker.io" : registry;
    this.base = `${scheme}://${host}`;
    this.#credentials = opts.credentials === undefined
      ? credentialsFor(registry)
      : opts.credentials ?? undefined;
  }

  /** `host/repository` for messages. */
  get name(): string {
    return `${this.registry}/${this.repository}`;
  }

  async #fetch(url: string, init: RequestInit): Promise<Response> {
    try {
      return await fetch(url, { ...init, signal: AbortSignal.timeout(60_000) });
    } catch (e) {
      throw connectionError(this.registry, this.base.split(":")[0], e);
    }
  }

  /** Answers a 401 challenge: Basic credentials, or a Bearer token from the realm. */
  async #authenticate(res: Response): Promise<void> {
    const header = res.headers.get("www-authenticate") ?? "";
    await res.body?.cancel();
    const creds = this.#credentials;
    const basic = creds &&
      `Basic ${Buffer.from(`${creds.username}:${creds.password}`).toString("base64")}`;
    const denied = () =>
      new OciError(
        creds
          ? `${this.registry}: the registry refused the credentials of user '${creds.username}' (401)`
          : `${this.registry}: authentication required (401); log in with: ecli login ${this.registry}`,
        401,
      );
    if (/^basic/i.test(header)) {
      if (!basic || this.#auth === basic) throw denied();
      this.#auth = basic;
      return;
    }
    if (!/^bearer/i.test(header)) throw denied();
    const p = challengeParams(header);
    if (!p.realm) throw new OciError(`${this.registry}: Bearer challenge without a realm`);
    const url = new URL(p.realm);
    if (p.service) url.searchParams.set("service", p.service);
    // A login probes without a repository: docker asks for a token without scope then.
    if (this.repository) {
      url.searchParams.set("scope", `repository:${this.repository}:${this.actions}`);
    }
    const tok = await this.#fetch(url.href, { headers: basic ? { authorization: basic } : {} });
    if (tok.status === 401 || tok.status === 403) {
      await tok.body?.cancel();
      throw denied();
    }
    if (!tok.ok) throw new OciError(`${this.registry}: token service: ${await errorDetail(tok)}`);
    const body = await tok.json().catch(() => ({}));
    const token = body.token ?? body.access_token;
    if (typeof token !== "string") {
      throw new OciError(`${this.registry}: token service sent no token`);
    }
    const bearer = `Bearer ${token}`;
    if (this.#auth === bearer) throw denied();
    this.#auth = bearer;
  }

  /** Probes `/v2/`: the host must answer as a registry (after auth, if it asks for it). */
  async probe(): Promise<void> {
    if (this.#probed) return;
    for (let attempt = 0; attempt < 3; attempt++) {
      const res = await this.#fetch(`${this.base}/v2/`, { headers: this.#headers() });
      if (res.status === 401) {
        await this.#authenticate(res);
        continue;
      }
      await res.body?.cancel();
      if (res.ok) {
        this.#probed = true;
        return;
      }
      throw new OciError(
        `${this.registry} is not an OCI registry (GET /v2/ answered ${res.status})`,
        res.status,
      );
    }
    throw new OciError(`${this.registry}: authentication did not settle`, 401);
  }

  #headers(extra: Record<string, string> = {}): Record<string, string> {
    return this.#auth ? { ...extra, authorization: this.#auth } : extra;
  }

  /** A request under `/v2/<repository>/`, authenticated; redirects followed by hand. */
  async #request(method: string, path: string, init: RequestInit = {}): Promise<Response> {
    await this.probe();
    let url = path.startsWith("http") ? path : `${this.base}/v2/${this.repository}/${path}`;
    const baseHeaders = (init.headers ?? {}) as Record<string, string>;
    for (let attempt = 0; attempt < 3; attempt++) {
      let res = await this.#fetch(url, {
        ...init,
        method,
        headers: this.#headers(baseHeaders),
        redirect: "manual",
      });
      if (res.status === 401) {
        await this.#authenticate(res);
        continue;
      }
      // Blob storage behind a redirect must not see the registry's Authorization header.
      for (let hop = 0; hop < 5 && res.status >= 300 && res.status < 400; hop++) {
        const loc = res.headers.get("location");
        await res.body?.cancel();
        if (!loc) break;
        const next = new URL(loc, url);
        const sameOrigin = next.origin === new URL(url).origin;
        url = next.href;
        res = await this.#fetch(url, {
          method,
          headers: sameOrigin ? this.#headers(baseHeaders) : baseHeaders,
          redirect: "manual",
        });
      }
      return res;
    }
    throw new OciError(`${this.registry}: authentication did not settle`, 401);
  }

  /** GETs a manifest by tag or digest; checks its digest; bounded to MAX_MANIFEST_BYTES. */
  async getManifest(reference: string): Promise<FetchedManifest> {
    const res = await this.#request("GET", `manifests/${reference}`, {
      headers: { accept: MANIFEST_ACCEPT },
    });
    const where = `${this.name}${reference.startsWith("sha256:") ? "@" : ":"}${reference}`;
    if (res.status === 404) {
      throw new OciError(`${where}: ${await errorDetail(res)}`, 404);
    }
    if (!res.ok) throw new OciError(`${where}: ${await errorDetail(res)}`, res.status);
    const bytes = await readCapped(res, maxManifestBytes(), `manifest ${where}`);
    const announced = res.headers.get("docker-content-digest");
    const expected = reference.startsWith("sha256:") ? reference : announced ?? undefined;
    const digest = sha256Digest(bytes);
    if (expected) verifyDigest(bytes, expected, `manifest ${where}`);
    const mediaType = (res.headers.get("content-type") ?? "").split(";")[0].trim();
    return { bytes, mediaType, digest };
  }

  /** PUTs a manifest under `tag` (or its digest); returns the digest the registry stored. */
  async putManifest(tag: string, bytes: Uint8Array, mediaType: string): Promise<string> {
    const res = await this.#request("PUT", `manifests/${tag}`, {
      headers: { "content-type": mediaType },
      body: bytes as Uint8Array<ArrayBuffer>,
    });
    if (res.status !== 201 && !res.ok) {
      throw new OciError(
        `${this.name}:${tag}: manifest upload: ${await errorDetail(res)}`,
        res.status,
      );
    }
    await res.body?.cancel();
    return res.headers.get("docker-content-digest") ?? "";
  }

  /** Whether the registry already holds a blob. */
  async hasBlob(digest: string): Promise<boolean> {
    const res = await this.#request("HEAD", `blobs/${digest}`);
    await res.body?.cancel();
    if (res.status === 404) return false;
    if (!res.ok) throw new OciError(`${this.name}: blob ${digest}: HTTP ${res.status}`, res.status);
    return true;
  }

  /** GETs a blob and verifies its size and sha256 against the descriptor. */
  async getBlob(desc: Pick<Descriptor, "digest" | "size">, maxBytes: number): Promise<Uint8Array> {
    if (desc.size > maxBytes) {
      throw new OciError(
        `${this.name}: blob ${desc.digest} is larger than the ${maxBytes}-byte limit`,
      );
    }
    const res = await this.#request("GET", `blobs/${desc.digest}`);
    const what = `blob ${desc.digest} from ${this.name}`;
    if (!res.ok) throw new OciError(`${what}: ${await errorDetail(res)}`, res.status);
    const bytes = await readCapped(res, desc.size, what);
    verifyDigest(bytes, desc.digest, what, desc.size);
    return bytes;
  }

  /** Uploads a blob unless present: POST an upload session, then one PUT with the digest. */
  async pushBlob(bytes: Uint8Array, digest: string): Promise<void> {
    if (await this.hasBlob(digest)) return;
    const start = await this.#request("POST", "blobs/uploads/");
    await start.body?.cancel();
    const loc = start.headers.get("location");
    if (start.status !== 202 || !loc) {
      throw new OciError(`${this.name}: blob upload refused (HTTP ${start.status})`, start.status);
    }
    const url = new URL(loc, this.base);
    url.searchParams.set("digest", digest);
    const put = await this.#request("PUT", url.href, {
      headers: { "content-type": "application/octet-stream" },
      body: bytes as Uint8Array<ArrayBuffer>,
    });
    if (put.status !== 201) {
      throw new OciError(
        `${this.name}: blob ${digest} upload: ${await errorDetail(put)}`,
        put.status,
      );
    }
    await put.body?.cancel();
  }
}
