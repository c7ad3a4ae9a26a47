/**
 * The example handlers type-check against the `.d.ts` files ecc generates; the committed
 * copies must be what ecc writes today, so a handler checks against the real types.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ROOT } from "../support/cli.ts";
import { buildScript, compile, scriptTypes } from "../../compile/mod.ts";

for (
  const name of [
    "procsnoop",
    "opensnoop",
    "readsize",
    "execfilter",
    "unlinksnoop",
    "unlinklat",
    "mkdirguard",
  ]
) {
  Deno.test(`examples/${name}/${name}.d.ts is what ecc generates`, async () => {
    const ex = `${ROOT}/examples/${name}`;
    const out = mkdtempSync(join(tmpdir(), "ecli-types-"));
    const r = await compile({
      source: `${ex}/${name}.bpf.c`,
      exportHeader: `${ex}/${name}.h`,
      outputDir: out,
      noPackage: true,
    });
    assert.equal(
      readFileSync(`${ex}/${name}.d.ts`, "utf8"),
      readFileSync(r.files.types!, "utf8"),
      `regenerate: deno run -A cli.ts compile examples/${name}/${name}.bpf.c examples/${name}/${name}.h -n`,
    );
  });
}

for (const name of ["killopen", "slowsyscalls", "newlisten"]) {
  Deno.test(`examples/scripts/${name}.d.ts is what ecli types writes`, async () => {
    const script = `${ROOT}/examples/scripts/${name}.ts`;
    assert.equal(
      readFileSync(`${ROOT}/examples/scripts/${name}.d.ts`, "utf8"),
      scriptTypes(await buildScript(script)),
      `regenerate: deno run -A cli.ts types examples/scripts/${name}.ts`,
    );
  });
}
