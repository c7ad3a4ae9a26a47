/**
 * Shared by the OCI tests: the CLI with its own cache and docker config, the two registries
 * (one open, one behind htpasswd), compiled example packages, raw registry HTTP for what
 * ecli itself would refuse to push, and snapshots of the cache to prove nothing was written.
 * @module
 */
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { type CliResult, ROOT, runCli } from "./cli.ts";
import { compileForTest } from "./build.ts";
import { startRegistry, type TestRegistry } from "./registry.ts";

/** A scratch directory for one test file. */
export const work = mkdtempSync(join(tmpdir(), "ecli-oci-"));

/** The user and password of the authenticated registry. */
export const USER = { user: "ecli-test", password: "s3cret-pass" };

/** Deno's own cache, so a redirected XDG_CACHE_HOME does not make Deno start cold. */
const DENO_DIR = Deno.env.get("DENO_DIR") ??
  join(Deno.env.get("XDG_CACHE_HOME") ?? join(homedir(), ".cache"), "deno");

/** A user of ecli: their XDG cache and docker config directories. */
export interface CliUser {
  /** XDG_CACHE_HOME. */
  cache: string;
  /** DOCKER_CONFIG. */
  docker: string;
}

let users = 0;
/** A fresh user: empty cache, no logins. */
export function newUser(): CliUser {
  const dir = join(work, `user${users++}`);
  return { cache: join(dir, "cache"), docker: join(dir, "docker") };
}

/** The ecli cache directory of a user. */
export const cacheDirOf = (u: CliUser) => join(u.cache, "ecli", "oci");

/** The environment of `u`'s ecli runs. */
export function envOf(u: CliUser): Record<string, string> {
  return { XDG_CACHE_HOME: u.cache, DOCKER_CONFIG: u.docker, DENO_DIR };
}

/** Runs ecli as `u`. */
export function ecli(
  u: CliUser,
  args: string[],
  opts: { stdin?: string; env?: Record<string, string>; cwd?: string } = {},
): Promise<CliResult> {
  return runCli(args, {
    stdin: opts.stdin,
    cwd: opts.cwd,
    env: { ...envOf(u), ...opts.env },
  });
}

/** Every file under `dir` with its sha256 (empty when missing): "nothing written" checks. */
export function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  if (!existsSync(dir)) return out;
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out[p] = createHash("sha256").update(Deno.readFileSync(p)).digest("hex");
    }
  };
  walk(dir);
  return out;
}

let open: Promise<TestRegistry> | undefined;
let authed: Promise<TestRegistry> | undefined;
const started: TestRegistry[] = [];
/** Starts a registry that is killed (by PID) when the test process ends, whatever happens. */
export async function registry(auth?: Parameters<typeof startRegistry>[0]): Promise<TestRegistry> {
  const r = await startRegistry(auth);
  started.push(r);
  return r;
}
globalThis.addEventListener("unload", () => {
  for (const r of started) {
    try {
      Deno.kill(r.pid, "SIGTERM");
    } catch { /* already stopped */ }
    rmSync(dirname(r.storage), { recursive: true, force: true });
  }
  rmSync(work, { recursive: true, force: true });
});
/** The registry without auth (started once per file). */
export const openRegistry = () => open ??= registry();
/** The registry with htpasswd Basic auth (started once per file). */
export const authRegistry = () => authed ??= registry(USER);

/** Stops the registries this file started. */
export async function stopRegistries(): Promise<void> {
  for (const r of [open, authed]) if (r) await (await r).stop();
  open = authed = undefined;
}

const compiled = new Map<string, Promise<string>>();
/** examples/procsnoop compiled as package.json (or package.yaml with `yaml`). */
export function procsnoop(yaml = false): Promise<string> {
  const key = yaml ? "yaml" : "json";
  if (!compiled.has(key)) {
    compiled.set(
      key,
      compileForTest({
        source: `${ROOT}/examples/procsnoop/procsnoop.bpf.c`,
        exportHeader: `${ROOT}/examples/procsnoop/procsnoop.h`,
        outputDir: join(work, `procsnoop-${key}`),
        yaml,
      }).then((r) => r.files.package!),
    );
  }
  return compiled.get(key)!;
}

/** A tiny valid wasm module (magic, version, one custom section naming `tag`). */
export function wasmModule(tag: string): Uint8Array {
  const name = new TextEncoder().encode(tag);
  return new Uint8Array([
    0,
    0x61,
    0x73,
    0x6d,
    1,
    0,
    0,
    0,
    0,
    name.length + 1,
    name.length,
    ...name,
  ]);
}

/** sha256 digest of bytes. */
export const digestOf = (b: Uint8Array) => `sha256:${createHash("sha256").update(b).digest("hex")}`;

/** Uploads a blob with plain HTTP: POST a session, PUT with the digest. */
export async function rawPushBlob(host: string, repo: string, bytes: Uint8Array): Promise<string> {
  const digest = digestOf(bytes);
  const start = await fetch(`http://${host}/v2/${repo}/blobs/uploads/`, { method: "POST" });
  await start.body?.cancel();
  const url = new URL(start.headers.get("location")!, `http://${host}`);
  url.searchParams.set("digest", digest);
  const put = await fetch(url, {
    method: "PUT",
    headers: { "content-type": "application/octet-stream" },
    body: bytes as Uint8Array<ArrayBuffer>,
  });
  await put.body?.cancel();
  if (put.status !== 201) throw new Error(`blob upload: ${put.status}`);
  return digest;
}

/** PUTs a manifest document under a tag with plain HTTP; returns its digest. */
export async function rawPushManifest(
  host: string,
  repo: string,
  tag: string,
  manifest: unknown,
  mediaType = "application/vnd.oci.image.manifest.v1+json",
): Promise<string> {
  const bytes = new TextEncoder().encode(JSON.stringify(manifest));
  const res = await fetch(`http://${host}/v2/${repo}/manifests/${tag}`, {
    method: "PUT",
    headers: { "content-type": mediaType },
    body: bytes,
  });
  const text = await res.text();
  if (res.status !== 201) throw new Error(`manifest upload: ${res.status} ${text}`);
  return digestOf(bytes);
}

/** GETs a manifest (or blob) with plain HTTP, as JSON. */
export async function rawGet(host: string, path: string): Promise<Record<string, unknown>> {
  const res = await fetch(`http://${host}/v2/${path}`, {
    headers: { accept: "application/vnd.oci.image.manifest.v1+json" },
  });
  return await res.json();
}

/** Where the registry's filesystem driver keeps a blob's bytes. */
export function registryBlobFile(reg: TestRegistry, digest: string): string {
  const hex = digest.slice(7);
  return join(reg.storage, "docker/registry/v2/blobs/sha256", hex.slice(0, 2), hex, "data");
}

/** Flips the last byte of a file in place (same size, different digest). */
export function tamper(path: string): void {
  const b = Deno.readFileSync(path);
  b[b.length - 1] ^= 0x01;
  Deno.writeFileSync(path, b);
}
