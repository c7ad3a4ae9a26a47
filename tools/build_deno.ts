/**
 * `deno task compile:deno`: builds `dist/ecli-deno` with `deno compile`, embedding the same
 * `dist/ecli-assets/` as `tools/build.ts` (`--include`).
 *
 * `deno compile` needs `denort`, the runtime it builds on, which it downloads from
 * dl.deno.land unless `DENORT_BIN` names a copy. Where neither works this fails with one line
 * saying so. A Deno-compiled executable cannot import modules that were not there at compile
 * time (denoland/deno#18327): `--handler` and `-e` do not work in it; the Bun executable of
 * `deno task compile` has no such limit.
 *
 * ```sh
 * DENORT_BIN=/path/to/denort deno task compile:deno
 * ```
 * @module
 */
import { spawnSync } from "node:child_process";
import { existsSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import { VERSION } from "../version.ts";
import { BuildError, ROOT, stageAssets } from "./build_assets.ts";

/** The executable `deno task compile:deno` writes. */
export const DENO_BINARY = join(ROOT, "dist", "ecli-deno");

/** The denort download `deno compile` would make for this Deno and machine. */
export function denortUrl(): string {
  return `https://dl.deno.land/release/v${Deno.version.deno}/denort-${Deno.build.target}.zip`;
}

/** Builds `dist/ecli-deno`; throws a one-line BuildError when denort cannot be had. */
export function buildDenoBinary(): string {
  const denort = process.env.DENORT_BIN;
  if (denort !== undefined && !existsSync(denort)) {
    throw new BuildError(`DENORT_BIN=${denort}: no such file`);
  }
  stageAssets();
  const args = [
    "compile",
    "--allow-all",
    "--include",
    "dist/ecli-assets",
    "--output",
    DENO_BINARY,
    "cli.ts",
  ];
  const r = spawnSync(Deno.execPath(), args, { cwd: ROOT, encoding: "utf8" });
  if (r.status !== 0) {
    const err = `${r.stderr}`;
    if (/denort|dl\.deno\.land|base binary/i.test(err)) {
      throw new BuildError(
        `deno compile needs denort, which it cannot download here (${denortUrl()}); ` +
          `fetch and unzip it elsewhere, then run: DENORT_BIN=/path/to/denort deno task compile:deno`,
      );
    }
    const first = err.split("\n").find((l) => /error/i.test(l)) ?? err.trim().split("\n")[0];
    throw new BuildError(`deno ${args.join(" ")} failed: ${first?.trim()}`);
  }
  // The deno CLI given as DENORT_BIN yields a file that starts the REPL: catch that here.
  const check = spawnSync(DENO_BINARY, ["--version"], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
    timeout: 20_000,
  });
  if (!`${check.stdout}`.startsWith(`ecli (ecli-ts) ${VERSION}`)) {
    rmSync(DENO_BINARY, { force: true });
    throw new BuildError(
      `${DENO_BINARY} does not run ecli (is DENORT_BIN a denort binary, not the deno CLI?)`,
    );
  }
  return DENO_BINARY;
}

if (import.meta.main) {
  try {
    const binary = buildDenoBinary();
    console.log(`built ${binary} (${(statSync(binary).size / 1e6).toFixed(1)} MB)`);
  } catch (e) {
    console.error(`compile:deno: error: ${(e as Error).message}`);
    process.exitCode = 1;
  }
}
