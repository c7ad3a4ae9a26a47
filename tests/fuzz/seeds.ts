/**
 * Real inputs the mutating generators start from: the examples compiled once (through the test
 * build cache, `ECLI_TEST_BUILD_CACHE`, default `~/.cache/ecli-ts/test-build`) into package
 * text, inflated ELF objects and their `.BTF` sections.
 * @module
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { findSection, parseElf } from "../../lib/elf/mod.ts";
import { decodePackage, parsePackageText, serializeYaml } from "../../lib/package/mod.ts";
import { compileForTest } from "../support/build.ts";
import { ROOT } from "../support/cli.ts";

/** The compiled examples in each form a reader takes. */
export interface Seeds {
  /** Package documents as ecc writes them (JSON text). */
  packageJson: string[];
  /** The same packages as YAML text. */
  packageYaml: string[];
  /** Parsed package documents. */
  packageDocs: Record<string, unknown>[];
  /** Inflated BPF ELF objects. */
  objects: Uint8Array[];
  /** Their `.BTF` sections. */
  btf: Uint8Array[];
}

/** Examples with a ring buffer, a sampled map with a `char[16]` flag, and a perf buffer. */
const EXAMPLES = ["procsnoop", "readsize", "opensnoop", "execfilter"];

/** Compiles the examples (cached) and returns them as seeds. */
export async function loadSeeds(): Promise<Seeds> {
  if (!Deno.env.get("ECLI_TEST_BUILD_CACHE")) {
    Deno.env.set(
      "ECLI_TEST_BUILD_CACHE",
      join(Deno.env.get("HOME") ?? "/tmp", ".cache/ecli-ts/test-build"),
    );
  }
  const out = mkdtempSync(join(tmpdir(), "ecli-fuzz-"));
  const seeds: Seeds = { packageJson: [], packageYaml: [], packageDocs: [], objects: [], btf: [] };
  try {
    for (const name of EXAMPLES) {
      const dir = join(ROOT, "examples", name);
      const r = await compileForTest({
        source: join(dir, `${name}.bpf.c`),
        exportHeader: join(dir, `${name}.h`),
        outputDir: join(out, name),
      });
      const text = readFileSync(r.files.package!, "utf8");
      const doc = (await parsePackageText(text, "json")) as Record<string, unknown>;
      const pkg = decodePackage(doc);
      seeds.packageJson.push(text);
      seeds.packageDocs.push(doc);
      seeds.packageYaml.push(await serializeYaml(doc));
      seeds.objects.push(pkg.object);
      const btf = findSection(parseElf(pkg.object), ".BTF");
      if (btf) seeds.btf.push(btf.data.slice());
    }
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
  return seeds;
}
