import assert from "node:assert/strict";
import { formatReference, hasRegistryHost, parseReference } from "./reference.ts";

const D = `sha256:${"ab".repeat(32)}`;

Deno.test("parseReference: docker's normalisation, ports, digests", () => {
  assert.deepEqual(parseReference("localhost:5000/x/y:1"), {
    registry: "localhost:5000",
    repository: "x/y",
    tag: "1",
    digest: undefined,
  });
  assert.deepEqual(parseReference("ghcr.io/eunomia-bpf/sigsnoop"), {
    registry: "ghcr.io",
    repository: "eunomia-bpf/sigsnoop",
    tag: "latest",
    digest: undefined,
  });
  assert.deepEqual(parseReference("busybox"), {
    registry: "docker.io",
    repository: "library/busybox",
    tag: "latest",
    digest: undefined,
  });
  assert.deepEqual(parseReference(`127.0.0.1:5000/a/b@${D}`), {
    registry: "127.0.0.1:5000",
    repository: "a/b",
    tag: undefined,
    digest: D,
  });
  assert.equal(formatReference(parseReference(`localhost/a:t@${D}`)), `localhost/a:t@${D}`);
});

Deno.test("parseReference: malformed references name the part", () => {
  const cases: [string, string][] = [
    ["http://localhost:5000/x:1", "a reference has no scheme (write host[:port]/name[:tag])"],
    ["localhost:5000/X:1", "repository component 'X' must be lowercase letters, digits and . _ -"],
    ["localhost:5000/x:-bad", "tag '-bad' is not valid"],
    ["localhost:5000/x@sha256:12", "digest 'sha256:12' is not sha256:<64 hex digits>"],
    ["localhost:5000/", "no repository name"],
    ["a b", "empty or contains whitespace"],
  ];
  for (const [text, why] of cases) {
    assert.throws(() => parseReference(text), { message: `malformed reference '${text}': ${why}` });
  }
});

Deno.test("hasRegistryHost: localhost:PORT is a registry, not a URL scheme or a file", () => {
  assert.ok(hasRegistryHost("localhost:5000/x/y:1"));
  assert.ok(hasRegistryHost("ghcr.io/org/tool"));
  assert.ok(hasRegistryHost("127.0.0.1:5000/x"));
  assert.ok(!hasRegistryHost("https://example.com/package.json"));
  assert.ok(!hasRegistryHost("out/package.json"));
  assert.ok(!hasRegistryHost("package.json"));
});
