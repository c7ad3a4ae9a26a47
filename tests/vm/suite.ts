/**
 * The kernel suite: every test file that touches the kernel, found by what it declares
 * (`kernelTest(` or `featureTest(` from tests/support), so a new kernel test joins the matrix
 * without being listed anywhere.
 * @module
 */
import { join, relative } from "node:path";

const DIRS = ["ffi", "lib", "tests/e2e"];
const DECLARES = /\b(?:kernelTest|featureTest)\(/;

function walk(dir: string, found: string[]): void {
  for (const e of Deno.readDirSync(dir)) {
    const p = join(dir, e.name);
    if (e.isDirectory) walk(p, found);
    else if (e.name.endsWith("_test.ts") && DECLARES.test(Deno.readTextFileSync(p))) found.push(p);
  }
}

/** Test files (relative to `root`, sorted) that declare kernel tests. */
export function kernelSuiteFiles(root: string): string[] {
  const found: string[] = [];
  for (const d of DIRS) walk(join(root, d), found);
  return found.map((p) => relative(root, p)).sort();
}
