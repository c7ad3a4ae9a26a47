/**
 * The table of readers of untrusted bytes that `deno task fuzz` exercises. Each entry names the
 * reader, the typed errors it may throw (anything else is a bug), the inputs (from scratch and
 * mutated real packages and objects) and the call that reads one input the way `ecli` does.
 *
 * To add a reader: append
 * one entry to `READERS` with its error classes, an arbitrary built from `mutatedBytes` /
 * `scratchBytes` / `hostileValue` over its own seeds, and its read function.
 * @module
 */
import fc from "fast-check";
import { deflateSync } from "node:zlib";
import { Buffer } from "node:buffer";
import { ArgError, parseProgramArgs, programFlags, variableImages } from "../../lib/args/mod.ts";
import {
  type Btf,
  BtfError,
  Kind,
  parseBtf,
  readBpfObject,
  renderCHeader,
  typeName,
} from "../../lib/btf/mod.ts";
import { buildDecoder, DecodeError } from "../../lib/decode/mod.ts";
import { ElfError, parseElf } from "../../lib/elf/mod.ts";
import { decodePackage, PackageError, parsePackageText } from "../../lib/package/mod.ts";
import { RunError, selectExports } from "../../lib/run/mod.ts";
import { objectRelocations } from "../../compile/btfgen/mod.ts";
import { decodePackageTar, writeTar } from "../../lib/package/mod.ts";
import { OciError, programManifest } from "../../lib/oci/mod.ts";
import { decodeBase64, firstIssue, startRequest } from "../../lib/server/schema.ts";
import { TaskError } from "../../lib/tasks/mod.ts";
import { inspectWasmModule, WasmError } from "../../lib/wasm/mod.ts";
import { decodePayload, encodePayload, StandaloneError } from "../../lib/standalone/mod.ts";
import { hostileValue, mutatedBytes, mutatedText, replaceAtPath, scratchBytes } from "./mutate.ts";
import type { Seeds } from "./seeds.ts";

/** One reader under fuzz. */
export interface FuzzReader<T = unknown> {
  /** Name for `--only` and the report. */
  name: string;
  /** What it reads, for the report. */
  what: string;
  /** Error classes the reader may throw: each one line, naming what is wrong. */
  errors: (abstract new (...args: never[]) => Error)[];
  /** Inputs, from the compiled examples. */
  inputs(seeds: Seeds): fc.Arbitrary<T>;
  /** Reads one input as `ecli` would; may be async. */
  read(input: T): unknown;
}

const define = <T>(r: FuzzReader<T>) => r as FuzzReader;

/** Every consumer of a parsed BTF that runs on a package's types before the kernel sees it. */
function walkBtf(btf: Btf): void {
  for (const t of btf.types) {
    typeName(btf, t.id);
    switch (btf.resolve(t.id).kind) {
      case Kind.INT:
      case Kind.PTR:
      case Kind.ARRAY:
      case Kind.STRUCT:
      case Kind.UNION:
      case Kind.ENUM:
      case Kind.ENUM64:
      case Kind.FLOAT:
        btf.sizeOf(t.id);
        btf.alignOf(t.id);
    }
    if (t.kind === Kind.STRUCT || t.kind === Kind.UNION) {
      btf.flatMembers(t.id);
      buildDecoder(btf, t.id);
    }
  }
  renderCHeader(btf);
}

/** The kernel map type a BTF-defined map declares (`__uint(type, …)`), as libbpf reads it. */
function declaredMapType(btf: Btf, name: string): number {
  const maps = btf.find(".maps", Kind.DATASEC);
  const vsi = maps?.vars.find((v) => btf.type(v.type).name === name);
  if (!vsi) return 0;
  const v = btf.type(vsi.type);
  const def = btf.resolve(v.kind === Kind.VAR ? v.type : v.id);
  if (def.kind !== Kind.STRUCT) return 0;
  const m = def.members.find((x) => x.name === "type");
  const p = m && btf.resolve(m.type);
  const a = p?.kind === Kind.PTR ? btf.resolve(p.type) : undefined;
  return a?.kind === Kind.ARRAY ? a.nelems : 0;
}

/**
 * Everything `ecli run` does with a package before libbpf opens it: decode, read the object's
 * ELF and BTF, build the program flags, parse `argv` against them, encode the values, choose
 * the export maps and build their decoders.
 */
function preparePackage(doc: unknown, argv: string[] = []): void {
  const pkg = decodePackage(doc);
  const { btf } = readBpfObject(pkg.object);
  const flags = programFlags(pkg.meta, btf);
  const parsed = parseProgramArgs(flags, argv);
  variableImages(flags, parsed.values, btf);
  for (const f of flags) buildDecoder(btf, f.typeId);
  const plans = selectExports(pkg.meta, btf, (name) => declaredMapType(btf, name));
  for (const p of plans) {
    if (p.kind === "sample") {
      buildDecoder(btf, p.keyTypeId);
      buildDecoder(btf, p.valueTypeId);
    } else buildDecoder(btf, p.typeId);
  }
}

const BTF_HEADER = new Uint8Array([0x9f, 0xeb, 1, 0]);
const ELF_HEADER = new Uint8Array([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]);
const PACKAGE_ERRORS = [PackageError, ElfError, BtfError, ArgError, RunError, DecodeError];

/** A BTF blob assembled from random type records over a random string table. */
function scratchBtf(): fc.Arbitrary<Uint8Array> {
  const record = fc.tuple(
    fc.nat({ max: 64 }), // name offset
    fc.integer({ min: 0, max: 20 }), // kind (19 is the last one; 20 is unknown)
    fc.nat({ max: 4 }), // vlen
    fc.boolean(), // kflag
    fc.oneof(fc.nat({ max: 16 }), fc.constantFrom(0xffffffff, 0x80000000)), // size or type
    fc.array(fc.oneof(fc.nat({ max: 16 }), fc.nat()), { maxLength: 16 }), // trailing words
  );
  return fc.tuple(fc.array(record, { maxLength: 12 }), fc.uint8Array({ maxLength: 64 })).map(
    ([records, strings]) => {
      const words: number[] = [];
      for (const [name, kind, vlen, kflag, sizeOrType, extra] of records) {
        words.push(name, (((kflag ? 1 : 0) << 31) | (kind << 24) | vlen) >>> 0, sizeOrType);
        words.push(...extra);
      }
      const types = new Uint8Array(words.length * 4);
      const tv = new DataView(types.buffer);
      words.forEach((w, i) => tv.setUint32(i * 4, w >>> 0, true));
      const strs = new Uint8Array([0, ...strings, 0]);
      const out = new Uint8Array(24 + types.length + strs.length);
      const v = new DataView(out.buffer);
      v.setUint16(0, 0xeb9f, true);
      v.setUint8(2, 1);
      v.setUint32(4, 24, true);
      v.setUint32(8, 0, true);
      v.setUint32(12, types.length, true);
      v.setUint32(16, types.length, true);
      v.setUint32(20, strs.length, true);
      out.set(types, 24);
      out.set(strs, 24 + types.length);
      return out;
    },
  );
}

/** Mutations that stay inside the string section of a real BTF blob (names, not layout). */
function mutatedBtfStrings(seeds: Uint8Array[]): fc.Arbitrary<Uint8Array> {
  return fc.tuple(
    fc.nat({ max: seeds.length - 1 }),
    fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 16 }),
    fc.option(fc.nat(), { nil: undefined }),
  ).map(([i, edits, cut]) => {
    const b = seeds[i].slice();
    const v = new DataView(b.buffer);
    const start = v.getUint32(4, true) + v.getUint32(16, true);
    const len = v.getUint32(20, true);
    for (const [p, x] of edits) b[start + (p % len)] = x;
    // Cutting the string section short leaves name offsets pointing past its end.
    if (cut !== undefined) v.setUint32(20, cut % len, true);
    return b;
  });
}

/** A package document with `bpf_object` replaced by these (possibly bad) payload bytes. */
function withPayload(doc: Record<string, unknown>, b64: string, size: number) {
  return { ...doc, bpf_object: b64, bpf_object_size: size };
}

/** Base64/zlib payloads: random text, corrupted deflate streams, bombs, lying sizes. */
function payloads(seeds: Seeds): fc.Arbitrary<Record<string, unknown>> {
  const doc = fc.constantFrom(...seeds.packageDocs);
  const zlibOf = (b: Uint8Array) => new Uint8Array(deflateSync(b));
  const b64 = (b: Uint8Array) => Buffer.from(b).toString("base64");
  return fc.oneof(
    // Random base64-ish text.
    fc.tuple(doc, fc.string({ maxLength: 64 }), fc.nat()).map(([d, s, n]) => withPayload(d, s, n)),
    fc.tuple(doc, fc.base64String({ maxLength: 256 }), fc.nat({ max: 4096 })).map(([d, s, n]) =>
      withPayload(d, s, n)
    ),
    // A real object's deflate stream, mutated.
    fc.tuple(doc, mutatedBytes(seeds.objects.map(zlibOf)), fc.boolean()).map(([d, z, keep]) =>
      withPayload(d, b64(z), keep ? (d.bpf_object_size as number) : z.length)
    ),
    // A zlib bomb: a small stream that inflates to far more than the package claims.
    fc.tuple(doc, fc.integer({ min: 1, max: 64 }), fc.nat({ max: 1024 })).map(([d, mib, size]) =>
      withPayload(d, b64(zlibOf(new Uint8Array(mib << 20))), size)
    ),
    // A real stream whose declared size is a lie (huge, negative, fractional, 4 GiB).
    fc.tuple(doc, fc.constantFrom(0, 1, -1, 0.5, 2 ** 32, 2 ** 53, 1e300)).map(([d, size]) => ({
      ...d,
      bpf_object_size: size,
    })),
  );
}

/** Real package documents carrying a mutated object (re-deflated, sizes consistent). */
function mutatedObjects(seeds: Seeds): fc.Arbitrary<Record<string, unknown>> {
  return fc.nat({ max: seeds.objects.length - 1 }).chain((i) =>
    mutatedBytes([seeds.objects[i]]).map((object) =>
      withPayload(
        seeds.packageDocs[i],
        Buffer.from(deflateSync(object)).toString("base64"),
        object.length,
      )
    )
  );
}

/** Program-flag command lines against real packages: junk values for every flag they have. */
function flagLines(seeds: Seeds): fc.Arbitrary<[Record<string, unknown>, string[]]> {
  const value = fc.oneof(
    fc.string({ maxLength: 24 }),
    fc.constantFrom(
      "",
      "-1",
      "0x",
      "0xffffffffffffffffffff",
      "-9223372036854775809",
      "18446744073709551616",
      "1e3",
      "NaN",
      "0b102",
      "true",
      "x".repeat(100),
      "\u00e9",
      "1_000",
      "--",
      "=",
    ),
    fc.bigInt().map(String),
  );
  const names = ["pid_target", "target_comm", "min_duration_ns", "verbose", "help", "x"];
  const arg = fc.oneof(
    fc.tuple(fc.constantFrom(...names), value).map(([n, v]) => [`--${n}=${v}`]),
    fc.tuple(fc.constantFrom(...names), value).map(([n, v]) => [`--${n}`, v]),
    fc.tuple(fc.constantFrom(...names)).map(([n]) => [`--enable-${n}`]),
    fc.tuple(fc.string({ minLength: 1, maxLength: 1 }), value).map(([c, v]) => [`-${c}${v}`]),
    value.map((v) => [v]),
  );
  return fc.tuple(
    fc.constantFrom(...seeds.packageDocs),
    fc.array(arg, { maxLength: 4 }).map((a) => a.flat()),
  );
}

/** Package documents with one field somewhere replaced by a hostile value. */
function schemaDocs(seeds: Seeds): fc.Arbitrary<unknown> {
  return fc.oneof(
    fc.tuple(
      fc.constantFrom(...seeds.packageDocs),
      fc.array(fc.nat(), { minLength: 1, maxLength: 8 }),
      hostileValue(),
    ).map(([doc, path, v]) => replaceAtPath(doc, path, v)),
    hostileValue(),
    fc.anything({ maxDepth: 4 }),
  );
}

/** package.tar archives of the seed packages (as ecc --btfgen lays them out, without BTF). */
function tarSeeds(s: Seeds): Uint8Array[] {
  return s.packageJson.map((text, i) =>
    writeTar([
      { name: "package.json", data: new TextEncoder().encode(text) },
      { name: `prog${i}.bpf.o`, data: s.objects[i % s.objects.length] },
    ])
  );
}

/** Manifests as registries serve them: ours, upstream's wasm, and foreign ones. */
function manifestSeeds(): string[] {
  const d = (c: string) => `sha256:${c.repeat(64)}`;
  const oci = "application/vnd.oci.image.manifest.v1+json";
  return [
    {
      schemaVersion: 2,
      mediaType: oci,
      artifactType: "application/vnd.ecli-ts.package.v1",
      config: {
        mediaType: "application/vnd.ecli-ts.package.config.v1+json",
        digest: d("a"),
        size: 2,
      },
      layers: [{ mediaType: "application/vnd.ecli-ts.package.v1+json", digest: d("b"), size: 9 }],
      annotations: { "org.opencontainers.image.title": "procsnoop" },
    },
    {
      schemaVersion: 2,
      mediaType: oci,
      config: { mediaType: "application/vnd.wasm.config.v1+json", digest: d("c"), size: 2 },
      layers: [{
        mediaType: "application/vnd.wasm.content.layer.v1+wasm",
        digest: d("d"),
        size: 8,
      }],
    },
    {
      schemaVersion: 2,
      mediaType: oci,
      config: { mediaType: "application/vnd.oci.image.config.v1+json", digest: d("e"), size: 2 },
      layers: [],
    },
  ].map((m) => JSON.stringify(m));
}

/** `POST /task` bodies: upstream's shape around real packages, then mutated. */
function taskBodySeeds(s: Seeds): string[] {
  return s.packageJson.map((text, i) =>
    JSON.stringify({
      // Upstream's client sends base64 without padding; most tools pad.
      program_data_buf: i % 2
        ? Buffer.from(text).toString("base64").replace(/=+$/, "")
        : Buffer.from(text).toString("base64"),
      program_type: ["json", "tar", "wasm"][i % 3],
      program_name: i % 2 ? null : "p",
      extra_args: ["--verbose"],
      export_json: !!(i % 2),
    })
  );
}

/** A minimal valid wasm module (magic, version, one custom section) and the wasm header. */
const WASM_MINIMAL = new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 0, 2, 1, 0x78]);

/** The readers, in report order. */
export const READERS: FuzzReader[] = [
  define<Uint8Array>({
    name: "elf",
    what: "ELF64 objects (lib/elf parseElf)",
    errors: [ElfError],
    inputs: (s) =>
      fc.oneof(
        { weight: 4, arbitrary: mutatedBytes(s.objects) },
        { weight: 1, arbitrary: scratchBytes(ELF_HEADER) },
        { weight: 1, arbitrary: scratchBytes() },
      ),
    read: (b) => parseElf(b),
  }),
  define<Uint8Array>({
    name: "btf",
    what: "BTF types (lib/btf parseBtf, then sizes, names, decoders, C header)",
    errors: [BtfError, DecodeError],
    inputs: (s) =>
      fc.oneof(
        { weight: 3, arbitrary: mutatedBytes(s.btf) },
        { weight: 3, arbitrary: scratchBtf() },
        { weight: 1, arbitrary: scratchBytes(BTF_HEADER) },
      ),
    read: (b) => walkBtf(parseBtf(b)),
  }),
  define<Uint8Array>({
    name: "btf-strings",
    what: "BTF string sections (names, offsets past the end)",
    errors: [BtfError, DecodeError],
    inputs: (s) => mutatedBtfStrings(s.btf),
    read: (b) => walkBtf(parseBtf(b)),
  }),
  define<Uint8Array>({
    name: "bpf-object",
    what: "BPF objects: ELF + .BTF + DATASEC fix-up (lib/btf readBpfObject)",
    errors: [ElfError, BtfError],
    inputs: (s) => mutatedBytes(s.objects),
    read: (b) => readBpfObject(b),
  }),
  define<string>({
    name: "package-json",
    what: "package.json text (lib/package parse + schema + payload + flags + exports)",
    errors: PACKAGE_ERRORS,
    inputs: (s) =>
      fc.oneof(
        { weight: 4, arbitrary: mutatedText(s.packageJson) },
        { weight: 1, arbitrary: fc.json({ maxDepth: 4 }) },
        { weight: 1, arbitrary: fc.integer({ min: 1, max: 100_000 }).map((n) => "[".repeat(n)) },
      ),
    read: async (text) => preparePackage(await parsePackageText(text, "json")),
  }),
  define<string>({
    name: "package-yaml",
    what: "package.yaml text (YAML parser, anchors, deep nesting)",
    errors: PACKAGE_ERRORS,
    inputs: (s) =>
      fc.oneof(
        { weight: 4, arbitrary: mutatedText(s.packageYaml) },
        { weight: 1, arbitrary: fc.string({ maxLength: 200 }) },
        { weight: 1, arbitrary: fc.integer({ min: 1, max: 20_000 }).map((n) => "- ".repeat(n)) },
        {
          weight: 1,
          // Billion laughs: aliases that expand exponentially.
          arbitrary: fc.integer({ min: 2, max: 30 }).map((n) =>
            ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"].concat(
              Array.from({ length: n }, (_, i) =>
                `a${i + 1}: &a${i + 1} [${Array(10).fill(`*a${i}`).join(", ")}]`),
            ).join("\n")
          ),
        },
      ),
    read: async (text) => preparePackage(await parsePackageText(text, "yaml")),
  }),
  define<unknown>({
    name: "package-schema",
    what: "package documents: wrong types, huge and deeply nested values (lib/package zod schema)",
    errors: PACKAGE_ERRORS,
    inputs: schemaDocs,
    read: (doc) => preparePackage(doc),
  }),
  define<Record<string, unknown>>({
    name: "payload",
    what: "bpf_object payloads: base64, zlib streams, bombs, lying sizes",
    errors: PACKAGE_ERRORS,
    inputs: payloads,
    read: (doc) => preparePackage(doc),
  }),
  define<Record<string, unknown>>({
    name: "package-object",
    what: "real packages around mutated objects (flags, export maps, decoders from bad BTF)",
    errors: PACKAGE_ERRORS,
    inputs: mutatedObjects,
    read: (doc) => preparePackage(doc),
  }),
  define<[Record<string, unknown>, string[]]>({
    name: "program-flags",
    what: "program flag values against real packages (lib/args)",
    errors: [ArgError],
    inputs: flagLines,
    read: ([doc, argv]) => preparePackage(doc, argv),
  }),
  define<Uint8Array>({
    name: "btf-ext",
    what: ".BTF.ext CO-RE relocation records (lib/btf parseCoreRelos via btfgen)",
    errors: [ElfError, BtfError],
    inputs: (s) => mutatedBytes(s.objects),
    read: (b) => objectRelocations(b),
  }),
  define<Uint8Array>({
    name: "tar",
    what: "package.tar archives (lib/package readTar + the package inside)",
    errors: PACKAGE_ERRORS,
    inputs: (s) =>
      fc.oneof(
        { weight: 4, arbitrary: mutatedBytes(tarSeeds(s)) },
        { weight: 1, arbitrary: scratchBytes() },
      ),
    read: (b) => decodePackageTar(b, "fuzz.tar"),
  }),
  define<string>({
    name: "oci-manifest",
    what: "OCI manifests as a registry serves them (lib/oci programManifest)",
    errors: [OciError],
    inputs: () =>
      fc.oneof(
        { weight: 4, arbitrary: mutatedText(manifestSeeds()) },
        { weight: 1, arbitrary: fc.json({ maxDepth: 4 }) },
      ),
    read: (text) =>
      programManifest(
        new TextEncoder().encode(text),
        "application/vnd.oci.image.manifest.v1+json",
        "fuzz",
      ),
  }),
  define<string>({
    name: "server-body",
    what: "ecli server POST /task bodies (JSON, zod schema, base64, the package)",
    errors: [TaskError, ...PACKAGE_ERRORS],
    inputs: (s) =>
      fc.oneof(
        { weight: 4, arbitrary: mutatedText(taskBodySeeds(s)) },
        { weight: 1, arbitrary: fc.json({ maxDepth: 4 }) },
      ),
    async read(text) {
      // As the route does: malformed JSON, a failed field and bad base64 are each one line.
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        throw new TaskError("malformed JSON body");
      }
      const r = startRequest(["json", "tar", "wasm"]).safeParse(json);
      if (!r.success) throw new TaskError(firstIssue(r.error));
      let bytes: Uint8Array;
      try {
        bytes = decodeBase64(r.data.program_data_buf);
      } catch (e) {
        throw new TaskError(`program_data_buf: ${(e as Error).message}`);
      }
      if (r.data.program_type === "json") {
        preparePackage(await parsePackageText(new TextDecoder().decode(bytes), "json"));
      }
    },
  }),
  define<Uint8Array>({
    name: "wasm-module",
    what: "wasm modules (lib/wasm inspectWasmModule: sections, imports, embedded objects)",
    errors: [WasmError],
    inputs: () =>
      fc.oneof(
        { weight: 3, arbitrary: mutatedBytes([WASM_MINIMAL]) },
        { weight: 1, arbitrary: scratchBytes(WASM_MINIMAL.subarray(0, 8)) },
      ),
    read: (b) => inspectWasmModule(b),
  }),
  define<Uint8Array>({
    name: "tool-payload",
    what: "standalone tool payloads and trailers (lib/standalone decodePayload)",
    errors: [StandaloneError],
    inputs: (s) =>
      mutatedBytes(
        s.packageJson.slice(0, 2).map((text) =>
          encodePayload({
            ecli: "0.1.0",
            name: "tool",
            program: {
              source: "package.json",
              type: "json",
              data: Buffer.from(text).toString("base64"),
            },
            args: ["--json"],
          })
        ),
      ),
    read: (b) => decodePayload(b),
  }),
];
