/**
 * Test support: Debian's `docker-registry` (the CNCF distribution registry) on 127.0.0.1 with a
 * random port and storage in a temp dir, optionally behind htpasswd (bcrypt) Basic auth;
 * installed with apt when missing, stopped by PID.
 * @module
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A running registry. */
export interface TestRegistry {
  /** `127.0.0.1:PORT`. */
  host: string;
  /** Its filesystem storage root (for tampering with blobs). */
  storage: string;
  /** The registry process id. */
  pid: number;
  /** Stops it (SIGTERM by PID) and waits; `removeStorage` also deletes its files. */
  stop(removeStorage?: boolean): Promise<void>;
}

/** Installs docker-registry and apache2-utils (htpasswd) from apt when missing. */
export function ensureRegistryInstalled(): void {
  const missing = [["docker-registry", "docker-registry"], ["htpasswd", "apache2-utils"]]
    .filter(([bin]) => spawnSync("sh", ["-c", `command -v ${bin}`]).status !== 0)
    .map(([, pkg]) => pkg);
  if (!missing.length) return;
  const lock = ["-o", "DPkg::Lock::Timeout=600"];
  const env = { ...Deno.env.toObject(), DEBIAN_FRONTEND: "noninteractive" };
  spawnSync("apt-get", [...lock, "update", "-qq"], { env, stdio: "ignore" });
  const r = spawnSync("apt-get", [
    ...lock,
    "install",
    "-y",
    "-qq",
    "--no-install-recommends",
    ...missing,
  ], {
    env,
    encoding: "utf8",
  });
  if (r.status !== 0) throw new Error(`apt-get install ${missing.join(" ")} failed: ${r.stderr}`);
}

/** A port nothing listens on right now (the kernel picks it). */
export function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

/** A token service for the registry's Bearer mode (see token_server.ts). */
export interface TokenAuth {
  /** Where clients get tokens. */
  realm: string;
  /** Audience of the tokens. */
  service: string;
  /** Issuer of the tokens. */
  issuer: string;
  /** PEM bundle that signs them. */
  rootCertBundle: string;
}

/**
 * Starts a registry; with a user, only that user (bcrypt htpasswd, Basic auth) may pull and
 * push; with a token service, clients need its Bearer tokens.
 */
export async function startRegistry(
  auth?: { user: string; password: string } | TokenAuth,
): Promise<TestRegistry> {
  ensureRegistryInstalled();
  const dir = mkdtempSync(join(tmpdir(), "ecli-registry-"));
  const storage = join(dir, "data");
  let authBlock = "";
  if (auth && "realm" in auth) {
    authBlock =
      `auth:\n  token:\n    realm: ${auth.realm}\n    service: ${auth.service}\n    issuer: ${auth.issuer}\n    rootcertbundle: ${auth.rootCertBundle}\n`;
  } else if (auth) {
    // -B: bcrypt; the registry refuses the MD5 ($apr1$) default with a plain 401.
    const h = spawnSync("htpasswd", ["-Bbn", auth.user, auth.password], { encoding: "utf8" });
    if (h.status !== 0) throw new Error(`htpasswd failed: ${h.stderr}`);
    writeFileSync(join(dir, "htpasswd"), h.stdout);
    authBlock = `auth:\n  htpasswd:\n    realm: basic-realm\n    path: ${join(dir, "htpasswd")}\n`;
  }
  for (let attempt = 0;; attempt++) {
    const port = freePort();
    const config = join(dir, "config.yml");
    writeFileSync(
      config,
      `version: 0.1\nlog:\n  level: warn\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: ${storage}\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:${port}\n${authBlock}`,
    );
    const child = new Deno.Command("docker-registry", {
      args: ["serve", config],
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    }).spawn();
    const host = `127.0.0.1:${port}`;
    const status = child.status;
    let exited = false;
    status.then(() => exited = true);
    const errText = child.stderr.pipeThrough(new TextDecoderStream());
    let log = "";
    (async () => {
      for await (const s of errText) log += s;
    })();
    const end = Date.now() + 15_000;
    while (!exited && Date.now() < end) {
      try {
        const res = await fetch(`http://${host}/v2/`);
        await res.body?.cancel();
        break;
      } catch {
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    if (exited || Date.now() >= end) {
      try {
        child.kill("SIGKILL");
      } catch { /* gone */ }
      await status;
      if (attempt < 3 && /address already in use/.test(log)) continue;
      throw new Error(`docker-registry did not start on ${host}:\n${log}`);
    }
    return {
      host,
      storage,
      pid: child.pid,
      async stop(removeStorage = true) {
        if (!exited) {
          try {
            Deno.kill(child.pid, "SIGTERM");
          } catch { /* gone */ }
        }
        await status;
        if (removeStorage && existsSync(dir)) rmSync(dir, { recursive: true, force: true });
      },
    };
  }
}
