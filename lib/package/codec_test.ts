import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { deflateRawSync, deflateSync, gzipSync } from "node:zlib";
import {
  decodePackage,
  encodePackage,
  PackageError,
  parseMeta,
  parsePackageText,
  serializeJson,
  serializeYaml,
} from "./mod.ts";

const META = {
  bpf_skel: {
    obj_name: "demo_bpf",
    data_sections: [{ name: ".rodata", variables: [{ name: "min", type: "int" }] }],
    maps: [{ ident: "rb", name: "rb" }],
    progs: [{ attach: "tp/sched/sched_process_exec", link: true, name: "handle" }],
  },
  eunomia_version: "0.3.4",
};

const ELF = Uint8Array.from({ length: 300 }, (_, i) => i % 7);

function rejects(doc: unknown, message: string) {
  assert.throws(
    () => decodePackage(doc),
    (e) => e instanceof PackageError && e.message === message,
    `expected: ${message}`,
  );
}

Deno.test("encodePackage and decodePackage round-trip: zlib stream, base64, exact size", () => {
  const doc = encodePackage(ELF, META);
  assert.deepEqual(Object.keys(doc), ["bpf_object", "bpf_object_size", "meta"]);
  assert.equal(doc.bpf_object_size, 300);
  // zlib header at level 6, as upstream's flate2 default writes.
  assert.deepEqual([...Buffer.from(doc.bpf_object, "base64").subarray(0, 2)], [0x78, 0x9c]);
  const pkg = decodePackage(JSON.parse(serializeJson(doc)));
  assert.deepEqual(pkg.object, ELF);
  assert.equal(pkg.meta.bpf_skel.obj_name, "demo_bpf");
  // Upstream's defaults are applied on read.
  assert.equal(pkg.meta.poll_timeout_ms, 100);
  assert.deepEqual(pkg.meta.export_types, []);
  assert.equal(pkg.meta.bpf_skel.maps[0].mmaped, false);
  assert.equal(pkg.meta.bpf_skel.maps[0].export_config, "no_export");
  // Unknown keys survive.
  assert.equal((pkg.meta as Record<string, unknown>).eunomia_version, "0.3.4");
});

Deno.test("serialize writes compact JSON and YAML with keys sorted at every level", async () => {
  const value = { b: 1, a: { d: [{ z: 1, y: 2 }], c: "x" }, u: undefined };
  assert.equal(serializeJson(value), '{"a":{"c":"x","d":[{"y":2,"z":1}]},"b":1}');
  assert.equal(await serializeYaml(value), "a:\n  c: x\n  d:\n    - y: 2\n      z: 1\nb: 1\n");
});

Deno.test("decodePackage accepts YAML packages and null maps/progs like upstream", async () => {
  const doc = encodePackage(ELF, { bpf_skel: { ...META.bpf_skel, maps: null, progs: null } });
  const pkg = decodePackage(await parsePackageText(await serializeYaml(doc), "yaml"));
  assert.deepEqual(pkg.meta.bpf_skel.maps, []);
  assert.deepEqual(pkg.meta.bpf_skel.progs, []);
});

Deno.test("decodePackage rejects bad base64, bad zlib and a size mismatch", () => {
  const good = encodePackage(ELF, META);
  rejects({ ...good, bpf_object: "abc$" }, "bpf_object: malformed base64");
  rejects(
    { ...good, bpf_object: Buffer.from("not compressed at all").toString("base64") },
    "bpf_object: malformed zlib data (incorrect header check)",
  );
  for (const wrong of [deflateRawSync(ELF), gzipSync(ELF)]) {
    assert.throws(
      () => decodePackage({ ...good, bpf_object: Buffer.from(wrong).toString("base64") }),
      /^PackageError: bpf_object: malformed zlib data/,
    );
  }
  rejects(
    { ...good, bpf_object_size: 299 },
    "bpf_object_size: 299 in the package, but the object inflates to 300 bytes",
  );
  const truncated = Buffer.from(deflateSync(ELF)).subarray(0, 10).toString("base64");
  assert.throws(
    () => decodePackage({ ...good, bpf_object: truncated }),
    /^PackageError: bpf_object: malformed zlib data \(unexpected end of file\)$/,
  );
});

Deno.test("schema violations name the field path", () => {
  const good = encodePackage(ELF, META);
  const withSkel = (patch: Record<string, unknown>) => ({
    ...good,
    meta: { ...META, bpf_skel: { ...META.bpf_skel, ...patch } },
  });
  rejects({ meta: META }, "bpf_object: missing (expected string)");
  rejects(
    withSkel({ maps: [{ name: "rb" }] }),
    "meta.bpf_skel.maps[0].ident: missing (expected string)",
  );
  rejects(
    withSkel({ progs: [{ name: "p", attach: "tp/x", link: "yes" }] }),
    "meta.bpf_skel.progs[0].link: expected boolean, received string",
  );
  rejects(
    withSkel({ maps: [{ name: "h", ident: "h", sample: { interval: 10, type: "pie" } }] }),
    'meta.bpf_skel.maps[0].sample.type: Invalid option: expected one of "log2_hist"|"linear_hist"|"default_kv"',
  );
  rejects(
    withSkel({ data_sections: null }),
    "meta.bpf_skel.data_sections: expected array, received null",
  );
  assert.throws(
    () => parseMeta({ bpf_skel: { ...META.bpf_skel, obj_name: 5 } }),
    /^PackageError: meta\.bpf_skel\.obj_name: expected string, received number$/,
  );
});

Deno.test("parsePackageText names the format that failed", async () => {
  await assert.rejects(() => parsePackageText("{not json"), /^PackageError: not valid JSON: /);
  await assert.rejects(() => parsePackageText("a: [1", "yaml"), /^PackageError: not valid YAML: /);
});

Deno.test("decodePackage bounds inflation and names missing fields (found by tools/fuzz.ts)", () => {
  const doc = encodePackage(ELF, META);
  // A zlib bomb: 64 MiB of zeros claimed to be 300 bytes stops one byte past the claim.
  const bomb = Buffer.from(deflateSync(new Uint8Array(64 << 20))).toString("base64");
  rejects(
    { ...doc, bpf_object: bomb },
    "bpf_object_size: 300 in the package, but the object inflates to more",
  );
  rejects(
    { ...doc, bpf_object_size: 2 ** 32 },
    "bpf_object_size: 4294967296 bytes is more than the 256 MiB limit",
  );
  rejects({ meta: doc.meta, bpf_object_size: 1 }, "bpf_object: missing (expected string)");
  rejects(
    { ...doc, meta: { ...META, bpf_skel: { ...META.bpf_skel, obj_name: "x".repeat(300) } } },
    "meta.bpf_skel.obj_name: Too big: expected string to have <=256 characters",
  );
  // Found by the long fuzz run: a name with a newline made error messages span lines.
  rejects(
    { ...doc, meta: { ...META, bpf_skel: { ...META.bpf_skel, obj_name: "a\nb" } } },
    "meta.bpf_skel.obj_name: has control characters",
  );
});
