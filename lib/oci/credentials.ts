import { Buffer } from "node:buffer";
import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { OciError } from "./errors.ts";

/** A registry login: user name and password (or token). */
export interface Credentials {
  /** User name. */
  username: string;
  /** Password or identity token. */
  password: string;
}

/** The parts of docker's `config.json` we read and write; other keys are kept as they are. */
interface DockerConfig {
  auths?: Record<string, { auth?: string; [k: string]: unknown }>;
  credHelpers?: Record<string, string>;
  credsStore?: string;
  [k: string]: unknown;
}

/** Docker's config file: `$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`. */
export function dockerConfigPath(): string {
  return join(process.env.DOCKER_CONFIG ?? join(homedir(), ".docker"), "config.json");
}

function readConfig(path = dockerConfigPath()): DockerConfig {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch {
    return {};
  }
  try {
    const v = JSON.parse(text);
    if (v && typeof v === "object" && !Array.isArray(v)) return v;
  } catch { /* reported below */ }
  throw new OciError(`${path}: not a JSON object`);
}

/** Docker Hub's credentials live under its v1 index URL. */
function configKeys(registry: string): string[] {
  if (registry === "docker.io" || registry === "index.docker.io") {
    return ["https://index.docker.io/v1/", "docker.io", "index.docker.io"];
  }
  return [registry, `https://${registry}`, `http://${registry}`, `https://${registry}/v1/`];
}

/** Runs `docker-credential-<helper> <action>` with `input` on stdin. */
function credentialHelper(helper: string, action: string, input: string) {
  const bin = `docker-credential-${helper}`;
  const r = spawnSync(bin, [action], { input, encoding: "utf8" });
  if (r.error) throw new OciError(`credential helper ${bin}: ${r.error.message}`);
  return { ok: r.status === 0, out: (r.stdout || r.stderr || "").trim() };
}

/**
 * Credentials for `registry` from docker's config: `credHelpers[registry]`, then `credsStore`,
 * then `auths[…].auth` (base64 of `user:password`); undefined means anonymous.
 */
export function credentialsFor(registry: string): Credentials | undefined {
  const cfg = readConfig();
  const helper = cfg.credHelpers?.[registry] ?? cfg.credsStore;
  if (helper) {
    for (const key of configKeys(registry)) {
      const r = credentialHelper(helper, "get", key);
      if (!r.ok) continue;
      try {
        const { Username, Secret } = JSON.parse(r.out);
        if (typeof Username === "string" && typeof Secret === "string") {
          return { username: Username, password: Secret };
        }
      } catch { /* a helper that answers garbage counts as no entry */ }
    }
  }
  for (const key of configKeys(registry)) {
    const auth = cfg.auths?.[key]?.auth;
    if (typeof auth !== "string" || auth === "") continue;
    const plain = Buffer.from(auth, "base64").toString("utf8");
    const colon = plain.indexOf(":");
    if (colon < 0) {
      throw new OciError(`${dockerConfigPath()}: auths.${key}.auth is not user:password`);
    }
    return { username: plain.slice(0, colon), password: plain.slice(colon + 1) };
  }
  return undefined;
}

function writeConfig(cfg: DockerConfig, path = dockerConfigPath()): void {
  const dir = path.slice(0, path.lastIndexOf("/"));
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  // Docker's layout: tab-indented JSON, mode 0600, replaced atomically.
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(cfg, null, "\t") + "\n", { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, path);
}

/** Stores a login as docker does: in the configured helper, else base64 in `auths`. */
export function storeCredentials(registry: string, creds: Credentials): string {
  const cfg = readConfig();
  const key = configKeys(registry)[0];
  const helper = cfg.credHelpers?.[registry] ?? cfg.credsStore;
  if (helper) {
    const input = JSON.stringify({
      ServerURL: key,
      Username: creds.username,
      Secret: creds.password,
    });
    const r = credentialHelper(helper, "store", input);
    if (!r.ok) throw new OciError(`credential helper docker-credential-${helper}: ${r.out}`);
    cfg.auths = { ...cfg.auths, [key]: {} };
  } else {
    const auth = Buffer.from(`${creds.username}:${creds.password}`).toString("base64");
    cfg.auths = { ...cfg.auths, [key]: { auth } };
  }
  writeConfig(cfg);
  return dockerConfigPath();
}

/** Removes a login (file entry and helper entry); false when there was none. */
export function removeCredentials(registry: string): boolean {
  const cfg = readConfig();
  let found = false;
  const helper = cfg.credHelpers?.[registry] ?? cfg.credsStore;
  for (const key of configKeys(registry)) {
    if (helper && credentialHelper(helper, "erase", key).ok) found = true;
    if (cfg.auths && key in cfg.auths) {
      delete cfg.auths[key];
      found = true;
    }
  }
  if (found) writeConfig(cfg);
  return found;
}
