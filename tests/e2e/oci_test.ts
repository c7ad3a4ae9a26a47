/**
 * OCI push/pull against Debian's docker-registry on 127.0.0.1 (one open, one behind bcrypt
 * htpasswd Basic auth), through the CLI as a user runs it: every program kind round-trips byte
 * for byte, the manifests have our media types (and upstream's for wasm), an upstream-format
 * push made with raw HTTP pulls as wasm, digests pin through the cache with the registry
 * stopped, and every bad input is one line, exit 1, with nothing written to the cache.
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { freePort } from "../support/registry.ts";
import { startTokenServer } from "../support/token_server.ts";
import {
  authRegistry,
  cacheDirOf,
  type CliUser,
  digestOf,
  ecli,
  newUser,
  openRegistry,
  procsnoop,
  rawGet,
  rawPushBlob,
  rawPushManifest,
  registry,
  registryBlobFile,
  snapshot,
  stopRegistries,
  tamper,
  USER,
  wasmModule,
  work,
} from "../support/oci.ts";

const opts = { sanitizeResources: false, sanitizeOps: false };

/** A package tar as `ecc --btfgen` lays it out (package.json at the root, BTF beside). */
async function packageTar(): Promise<string> {
  const dir = join(work, "tar");
  mkdirSync(join(dir, "btfhub-archive/debian/12/x86_64"), { recursive: true });
  writeFileSync(join(dir, "package.json"), readFileSync(await procsnoop()));
  writeFileSync(join(dir, "btfhub-archive/debian/12/x86_64/6.1.0-1-amd64.btf"), "not real BTF");
  const tar = join(work, "package.tar");
  const r = spawnSync("tar", ["-cf", tar, "-C", dir, "package.json", "btfhub-archive"]);
  assert.equal(r.status, 0, String(r.stderr));
  return tar;
}

/** Logs `u` in to the auth registry with --password-stdin. */
async function login(u: CliUser, host: string, password = USER.password) {
  return await ecli(u, ["login", host, "-u", USER.user, "--password-stdin"], {
    stdin: `${password}\n`,
  });
}

/** One error line on stderr, exit 1, and the user's cache exactly as before. */
async function assertRefused(u: CliUser, args: string[], line: string | RegExp) {
  const before = snapshot(cacheDirOf(u));
  const r = await ecli(u, args);
  assert.equal(r.code, 1, `${args.join(" ")}: ${r.stdout}${r.stderr}`);
  const lines = r.stderr.trim().split("\n");
  assert.equal(lines.length, 1, r.stderr);
  if (typeof line === "string") assert.equal(lines[0], line);
  else assert.match(lines[0], line);
  assert.deepEqual(snapshot(cacheDirOf(u)), before, "nothing written to the cache");
}

Deno.test({
  name: "push and pull JSON, YAML, tar and wasm on both registries, byte for byte",
  ...opts,
  async fn() {
    const files: [string, string][] = [
      ["json", await procsnoop()],
      ["yaml", await procsnoop(true)],
      ["tar", await packageTar()],
      ["wasm", join(work, "tool.wasm")],
    ];
    writeFileSync(files[3][1], wasmModule("roundtrip"));
    const u = newUser();
    const open = await openRegistry();
    const auth = await authRegistry();
    const l = await login(u, auth.host);
    assert.equal(l.code, 0, l.stderr);
    assert.equal(l.stdout, "Login Succeeded\n");
    const cfg = JSON.parse(readFileSync(join(u.docker, "config.json"), "utf8"));
    assert.equal(
      atob(cfg.auths[auth.host].auth),
      `${USER.user}:${USER.password}`,
      "docker's base64 user:password entry",
    );
    assert.equal(Deno.statSync(join(u.docker, "config.json")).mode! & 0o777, 0o600);
    for (const reg of [open, auth]) {
      for (const [type, file] of files) {
        const ref = `${reg.host}/ebpf/procsnoop-${type}:v1`;
        const push = await ecli(u, ["push", ref, file]);
        assert.equal(push.code, 0, push.stderr);
        const size = readFileSync(file).length;
        assert.match(
          push.stdout,
          new RegExp(`^${ref}@sha256:[a-f0-9]{64} \\(${type}, ${size} bytes\\)\n$`),
        );
        const out = join(work, `pulled-${reg.pid}.${type}`);
        const pull = await ecli(u, ["pull", ref, "-o", out]);
        assert.equal(pull.code, 0, pull.stderr);
        assert.deepEqual(readFileSync(out), readFileSync(file), `${type} from ${reg.host}`);
        assert.match(pull.stdout, new RegExp(`^${out}: ${type}, ${size} bytes, sha256:`));
      }
    }
    // What the open registry holds, read with raw HTTP.
    const json = await rawGet(open.host, "ebpf/procsnoop-json/manifests/v1");
    assert.equal(json.artifactType, "application/vnd.ecli-ts.package.v1");
    const config = json.config as { mediaType: string; digest: string };
    assert.equal(config.mediaType, "application/vnd.ecli-ts.package.config.v1+json");
    const layers = json.layers as { mediaType: string; annotations: Record<string, string> }[];
    assert.deepEqual(layers.map((l) => l.mediaType), ["application/vnd.ecli-ts.package.v1+json"]);
    assert.deepEqual(layers[0].annotations, { "org.opencontainers.image.title": "package.json" });
    assert.deepEqual(json.annotations, {
      "org.opencontainers.image.title": "procsnoop_bpf",
      "org.opencontainers.image.version": "0.1",
      "org.opencontainers.image.description": "Trace process exec and exit.",
      "io.ecli-ts.package.source": "package.json",
    });
    const summary = await rawGet(open.host, `ebpf/procsnoop-json/blobs/${config.digest}`);
    assert.equal(summary.name, "procsnoop_bpf");
    assert.deepEqual(summary.programs, [
      { name: "handle_exec", attach: "tp/sched/sched_process_exec" },
      { name: "handle_exit", attach: "tp/sched/sched_process_exit" },
    ]);
    assert.deepEqual(summary.export_types, [{ name: "event", size: 168 }]);
    const yaml = await rawGet(open.host, "ebpf/procsnoop-yaml/manifests/v1");
    assert.equal(
      (yaml.layers as { mediaType: string }[])[0].mediaType,
      "application/vnd.ecli-ts.package.v1+yaml",
    );
    const tar = await rawGet(open.host, "ebpf/procsnoop-tar/manifests/v1");
    assert.equal(
      (tar.layers as { mediaType: string }[])[0].mediaType,
      "application/vnd.ecli-ts.package.v1.tar",
    );
    // wasm exactly as upstream's ecli pushes it: no artifactType, `{}` config, one bare layer.
    const wasm = await rawGet(open.host, "ebpf/procsnoop-wasm/manifests/v1");
    assert.deepEqual(wasm, {
      schemaVersion: 2,
      mediaType: "application/vnd.oci.image.manifest.v1+json",
      config: {
        mediaType: "application/vnd.wasm.config.v1+json",
        digest: "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a",
        size: 2,
      },
      layers: [{
        mediaType: "application/vnd.wasm.content.layer.v1+wasm",
        digest: digestOf(wasmModule("roundtrip")),
        size: wasmModule("roundtrip").length,
      }],
      annotations: { "org.opencontainers.image.title": files[3][1] },
    });
    const lo = await ecli(u, ["logout", auth.host]);
    assert.equal(lo.stdout, `Removing login credentials for ${auth.host}\n`);
    assert.deepEqual(JSON.parse(readFileSync(join(u.docker, "config.json"), "utf8")).auths, {});
  },
});

Deno.test({
  name: "an upstream-format wasm push made with raw HTTP pulls as wasm; -a annotations",
  ...opts,
  async fn() {
    const reg = await openRegistry();
    const module = wasmModule("upstream");
    const config = await rawPushBlob(reg.host, "up/execve", new TextEncoder().encode("{}"));
    const layer = await rawPushBlob(reg.host, "up/execve", module);
    await rawPushManifest(reg.host, "up/execve", "latest", {
      schemaVersion: 2,
      mediaType: "application/vnd.oci.image.manifest.v1+json",
      config: { mediaType: "application/vnd.wasm.config.v1+json", digest: config, size: 2 },
      layers: [{
        mediaType: "application/vnd.wasm.content.layer.v1+wasm",
        digest: layer,
        size: module.length,
      }],
      annotations: { "org.opencontainers.image.title": "app.wasm" },
    });
    const u = newUser();
    const dir = join(work, "upstream-pull");
    mkdirSync(dir, { recursive: true });
    const pull = await ecli(u, ["pull", `${reg.host}/up/execve`], { cwd: dir });
    assert.equal(pull.code, 0, pull.stderr);
    assert.match(pull.stdout, new RegExp(`^app\\.wasm: wasm, ${module.length} bytes, sha256:`));
    assert.deepEqual(readFileSync(join(dir, "app.wasm")), Buffer.from(module));
    const info = await ecli(u, ["info", `${reg.host}/up/execve:latest`]);
    assert.equal(info.code, 0, info.stderr);
    assert.match(
      info.stdout,
      new RegExp(
        `: wasm module, ${module.length} bytes \\(cannot be run yet by this ecli\\)\n  oci: .*` +
          "\\(application/vnd\\.wasm\\.content\\.layer\\.v1\\+wasm\\)",
      ),
    );
    const run = await ecli(u, ["run", `${reg.host}/up/execve:latest`]);
    assert.equal(run.code, 1);
    assert.equal(
      run.stderr,
      `ecli: error: ${reg.host}/up/execve:latest: wasm modules cannot be run yet by this ecli\n`,
    );
    // -a key=value, split at the first '=' as upstream; a user title wins over the path.
    const file = join(work, "annotated.wasm");
    writeFileSync(file, module);
    const push = await ecli(u, [
      "push",
      "-a",
      "a=b=c",
      "-a",
      "org.opencontainers.image.title=tool",
      `${reg.host}/up/annotated:1`,
      file,
    ]);
    assert.equal(push.code, 0, push.stderr);
    const m = await rawGet(reg.host, "up/annotated/manifests/1");
    assert.deepEqual(m.annotations, { a: "b=c", "org.opencontainers.image.title": "tool" });
  },
});

Deno.test({
  name: "digests pin through the cache with the registry stopped; tags re-resolve unless --offline",
  ...opts,
  async fn() {
    // A registry of its own, so stopping it does not disturb the other tests.
    const reg = await registry();
    const u = newUser();
    const pkg = await procsnoop();
    const push = await ecli(u, ["push", `${reg.host}/pin/procsnoop:1`, pkg]);
    assert.equal(push.code, 0, push.stderr);
    const digest = push.stdout.match(/@(sha256:[a-f0-9]{64})/)![1];
    const first = await ecli(u, ["info", `${reg.host}/pin/procsnoop:1`]);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /^procsnoop_bpf — Trace process exec and exit\./);
    assert.ok(first.stdout.includes(`oci: ${reg.host}/pin/procsnoop:1@${digest}`), first.stdout);
    await reg.stop(false);
    const pinned = await ecli(u, ["info", `${reg.host}/pin/procsnoop@${digest}`]);
    assert.equal(pinned.code, 0, pinned.stderr);
    assert.match(pinned.stdout, /handle_exec\s+tp\/sched\/sched_process_exec/);
    const offline = await ecli(u, ["info", "--offline", `${reg.host}/pin/procsnoop:1`]);
    assert.equal(offline.code, 0, offline.stderr);
    await assertRefused(
      u,
      ["info", `${reg.host}/pin/procsnoop:1`],
      `ecli: error: cannot reach registry ${reg.host}: connection refused`,
    );
    await assertRefused(
      u,
      ["info", "--offline", `${reg.host}/pin/procsnoop:2`],
      `ecli: error: ${reg.host}/pin/procsnoop:2: not in the cache (--offline)`,
    );
    // Our cache tampered: the pinned read refuses it and names the file.
    const cached = join(cacheDirOf(u), "blobs/sha256", digest.slice(7));
    tamper(cached);
    await assertRefused(
      u,
      ["pull", `${reg.host}/pin/procsnoop@${digest}`, "-o", join(work, "never.json")],
      new RegExp(
        `^ecli: error: cached blob ${cached} is corrupt: digest mismatch \\(expected ${digest}, content is sha256:[a-f0-9]{64}\\)$`,
      ),
    );
    await reg.stop();
  },
});

Deno.test({
  name: "bad inputs: one line each, exit 1, nothing written to the cache",
  ...opts,
  async fn() {
    const open = await openRegistry();
    const auth = await authRegistry();
    const u = newUser();
    const pkg = await procsnoop();
    const port = freePort();
    await assertRefused(
      u,
      ["pull", `127.0.0.1:${port}/x/y:1`],
      `ecli: error: cannot reach registry 127.0.0.1:${port}: connection refused`,
    );
    // A web server that is not a registry.
    const web = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen() {} },
      () => new Response("no", { status: 404 }),
    );
    const webHost = `127.0.0.1:${web.addr.port}`;
    await assertRefused(
      u,
      ["run", `${webHost}/x/y:1`],
      `ecli: error: ${webHost} is not an OCI registry (GET /v2/ answered 404)`,
    );
    await web.shutdown();
    // 401 without credentials, and with wrong ones (as a user with a stale docker login).
    const seed = newUser();
    assert.equal((await login(seed, auth.host)).code, 0);
    assert.equal((await ecli(seed, ["push", `${auth.host}/ebpf/secret:1`, pkg])).code, 0);
    await assertRefused(
      u,
      ["pull", `${auth.host}/ebpf/secret:1`],
      `ecli: error: ${auth.host}: authentication required (401); log in with: ecli login ${auth.host}`,
    );
    const wrong = await login(u, auth.host, "wrong");
    assert.equal(wrong.code, 1);
    assert.equal(
      wrong.stderr,
      `ecli: error: ${auth.host}: the registry refused the credentials of user '${USER.user}' (401)\n`,
    );
    mkdirSync(u.docker, { recursive: true });
    writeFileSync(
      join(u.docker, "config.json"),
      JSON.stringify({ auths: { [auth.host]: { auth: btoa(`${USER.user}:stale`) } } }),
    );
    await assertRefused(
      u,
      ["info", `${auth.host}/ebpf/secret:1`],
      `ecli: error: ${auth.host}: the registry refused the credentials of user '${USER.user}' (401)`,
    );
    // Unknown tag, unknown repository.
    await assertRefused(
      u,
      ["pull", `${open.host}/ebpf/none:1`],
      `ecli: error: ${open.host}/ebpf/none:1: manifest unknown (404)`,
    );
    assert.equal((await ecli(u, ["push", `${open.host}/ebpf/bad:1`, pkg])).code, 0);
    await assertRefused(
      u,
      ["run", `${open.host}/ebpf/bad:nope`],
      `ecli: error: ${open.host}/ebpf/bad:nope: manifest unknown (404)`,
    );
    // A blob tampered in the registry's storage.
    const layerFile = join(work, "tampered.wasm");
    writeFileSync(layerFile, wasmModule("tampered-layer"));
    assert.equal((await ecli(u, ["push", `${open.host}/ebpf/tampered:1`, layerFile])).code, 0);
    const layerDigest = digestOf(wasmModule("tampered-layer"));
    tamper(registryBlobFile(open, layerDigest));
    await assertRefused(
      u,
      ["pull", `${open.host}/ebpf/tampered:1`, "-o", join(work, "never.wasm")],
      new RegExp(
        `^ecli: error: blob ${layerDigest} from ${open.host}/ebpf/tampered: digest mismatch \\(expected ${layerDigest}, content is sha256:[a-f0-9]{64}\\)$`,
      ),
    );
    // A manifest tampered in the registry's storage.
    const manFile = join(work, "tampered2.wasm");
    writeFileSync(manFile, wasmModule("tampered-manifest"));
    const pushed = await ecli(u, ["push", `${open.host}/ebpf/tampered2:1`, manFile]);
    const manDigest = pushed.stdout.match(/@(sha256:[a-f0-9]{64})/)![1];
    // Still valid JSON (the registry parses what it serves), one byte different.
    const manPath = registryBlobFile(open, manDigest);
    Deno.writeTextFileSync(
      manPath,
      Deno.readTextFileSync(manPath).replace("tampered2.wasm", "tampered9.wasm"),
    );
    await assertRefused(
      u,
      ["pull", `${open.host}/ebpf/tampered2@${manDigest}`],
      new RegExp(
        `^ecli: error: manifest ${open.host}/ebpf/tampered2@${manDigest}: digest mismatch \\(expected ${manDigest}, content is sha256:[a-f0-9]{64}\\)$`,
      ),
    );
    // A container image.
    const imgConfig = await rawPushBlob(
      open.host,
      "library/busybox",
      new TextEncoder().encode(
        '{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}',
      ),
    );
    const imgLayer = await rawPushBlob(
      open.host,
      "library/busybox",
      new Uint8Array([0x1f, 0x8b, 8, 0]),
    );
    await rawPushManifest(open.host, "library/busybox", "1", {
      schemaVersion: 2,
      mediaType: "application/vnd.oci.image.manifest.v1+json",
      config: {
        mediaType: "application/vnd.oci.image.config.v1+json",
        digest: imgConfig,
        size: 76,
      },
      layers: [{
        mediaType: "application/vnd.oci.image.layer.v1.tar+gzip",
        digest: imgLayer,
        size: 4,
      }],
    });
    await assertRefused(
      u,
      ["run", `${open.host}/library/busybox:1`],
      `ecli: error: ${open.host}/library/busybox:1: is a container image (config application/vnd.oci.image.config.v1+json), not an eBPF package or wasm module`,
    );
    // An oversized manifest: the registry serves at most 4 MiB, so the bound is lowered here.
    const big = await rawPushManifest(open.host, "ebpf/big", "1", {
      schemaVersion: 2,
      mediaType: "application/vnd.oci.image.manifest.v1+json",
      config: {
        mediaType: "application/vnd.wasm.config.v1+json",
        digest: await rawPushBlob(open.host, "ebpf/big", new TextEncoder().encode("{}")),
        size: 2,
      },
      layers: [],
      annotations: { pad: "x".repeat(100_000) },
    });
    assert.ok(big);
    const before = snapshot(cacheDirOf(u));
    const r = await ecli(u, ["pull", `${open.host}/ebpf/big:1`], {
      env: { ECLI_OCI_MAX_MANIFEST_BYTES: "65536" },
    });
    assert.equal(r.code, 1);
    assert.equal(
      r.stderr,
      `ecli: error: manifest ${open.host}/ebpf/big:1 is larger than the 65536-byte limit\n`,
    );
    assert.deepEqual(snapshot(cacheDirOf(u)), before);
    // Malformed references.
    await assertRefused(
      u,
      ["pull", `${open.host}/Ebpf/x:1`],
      `ecli: error: malformed reference '${open.host}/Ebpf/x:1': repository component 'Ebpf' must be lowercase letters, digits and . _ -`,
    );
    await assertRefused(
      u,
      ["run", "localhost:5000/x/y@sha256:abc"],
      "ecli: error: malformed reference 'localhost:5000/x/y@sha256:abc': digest 'sha256:abc' is not sha256:<64 hex digits>",
    );
    await assertRefused(
      u,
      ["push", "localhost:5000/x/y:a b", pkg],
      "ecli: error: malformed reference 'localhost:5000/x/y:a b': empty or contains whitespace",
    );
  },
});

Deno.test({
  name: "credsStore: login, pull and logout go through docker's credential-helper protocol",
  ...opts,
  async fn() {
    const auth = await authRegistry();
    const u = newUser();
    // A credential helper as docker runs them: `docker-credential-<name> store|get|erase`,
    // JSON on stdin and stdout; this one keeps its entries in a file.
    const bin = join(work, "helper-bin");
    const store = join(work, "helper-store.json");
    mkdirSync(bin, { recursive: true });
    writeFileSync(
      join(bin, "docker-credential-ecli-test"),
      `#!/usr/bin/env -S deno run -A
const path = ${JSON.stringify(store)};
let db: Record<string, unknown> = {};
try {
  db = JSON.parse(Deno.readTextFileSync(path));
} catch { /* first use */ }
const data = (await new Response(Deno.stdin.readable).text()).trim();
const action = Deno.args[0];
if (action === "store") {
  const entry = JSON.parse(data);
  db[entry.ServerURL] = entry;
} else if (action === "get") {
  if (!(data in db)) {
    console.log("credentials not found in native keychain");
    Deno.exit(1);
  }
  console.log(JSON.stringify(db[data]));
} else if (action === "erase") delete db[data];
Deno.writeTextFileSync(path, JSON.stringify(db));
`,
      { mode: 0o755 },
    );
    mkdirSync(u.docker, { recursive: true });
    writeFileSync(join(u.docker, "config.json"), JSON.stringify({ credsStore: "ecli-test" }));
    const env = { PATH: `${bin}:${Deno.env.get("PATH")}` };
    const l = await ecli(u, ["login", auth.host, "-u", USER.user, "--password-stdin"], {
      stdin: USER.password,
      env,
    });
    assert.equal(l.code, 0, l.stderr);
    const saved = JSON.parse(readFileSync(store, "utf8"));
    assert.deepEqual(saved[auth.host], {
      ServerURL: auth.host,
      Username: USER.user,
      Secret: USER.password,
    });
    const cfg = JSON.parse(readFileSync(join(u.docker, "config.json"), "utf8"));
    assert.deepEqual(
      cfg,
      { credsStore: "ecli-test", auths: { [auth.host]: {} } },
      "no secret in the file",
    );
    const file = join(work, "helper.wasm");
    writeFileSync(file, wasmModule("helper"));
    const push = await ecli(u, ["push", `${auth.host}/ebpf/helper:1`, file], { env });
    assert.equal(push.code, 0, push.stderr);
    const pull = await ecli(u, [
      "pull",
      `${auth.host}/ebpf/helper:1`,
      "-o",
      join(work, "helper-out.wasm"),
    ], { env });
    assert.equal(pull.code, 0, pull.stderr);
    assert.deepEqual(readFileSync(join(work, "helper-out.wasm")), readFileSync(file));
    const out = await ecli(u, ["logout", auth.host], { env });
    assert.equal(out.stdout, `Removing login credentials for ${auth.host}\n`);
    assert.deepEqual(JSON.parse(readFileSync(store, "utf8")), {});
  },
});

Deno.test({
  name:
    "Bearer token flow: the registry in token mode, tokens from the realm with Basic credentials",
  ...opts,
  async fn() {
    const tokens = await startTokenServer(USER);
    const reg = await registry(tokens);
    try {
      const u = newUser();
      const file = join(work, "bearer.wasm");
      writeFileSync(file, wasmModule("bearer"));
      await assertRefused(
        u,
        ["pull", `${reg.host}/ebpf/bearer:1`],
        `ecli: error: ${reg.host}: authentication required (401); log in with: ecli login ${reg.host}`,
      );
      const bad = await login(u, reg.host, "wrong");
      assert.equal(
        bad.stderr,
        `ecli: error: ${reg.host}: the registry refused the credentials of user '${USER.user}' (401)\n`,
      );
      const l = await login(u, reg.host);
      assert.equal(l.code, 0, l.stderr);
      const push = await ecli(u, ["push", `${reg.host}/ebpf/bearer:1`, file]);
      assert.equal(push.code, 0, push.stderr);
      const out = join(work, "bearer-out.wasm");
      const pull = await ecli(u, ["pull", `${reg.host}/ebpf/bearer:1`, "-o", out]);
      assert.equal(pull.code, 0, pull.stderr);
      assert.deepEqual(readFileSync(out), readFileSync(file));
      assert.ok(tokens.scopes.includes("repository:ebpf/bearer:pull,push"), tokens.scopes.join());
      assert.ok(tokens.scopes.includes("repository:ebpf/bearer:pull"), tokens.scopes.join());
      assert.ok(tokens.scopes.includes(""), "login asks for a token without scope");
    } finally {
      await reg.stop();
      await tokens.stop();
    }
  },
});

Deno.test({ name: "stop the registries", ...opts, fn: stopRegistries });
