import process from "node:process";
import { join } from "node:path";
import { homedir } from "node:os";
import { mkdirSync, renameSync, writeFileSync } from "node:fs";

/** The directory for generated files kept between runs (`$ECLI_CACHE_DIR`, XDG cache, ~/.cache). */
export function cacheDir(...parts: string[]): string {
  const env = process.env;
  const root = env.ECLI_CACHE_DIR ??
    join(env.XDG_CACHE_HOME || join(homedir(), ".cache"), "ecli-ts");
  return join(root, ...parts);
}

/** Writes a file atomically (temp + rename) so a concurrent reader never sees half of it. */
export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  mkdirSync(join(path, ".."), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, data);
  renameSync(tmp, path);
}
