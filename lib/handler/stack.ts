import { fileURLToPath } from "node:url";

/**
 * Our source tree: frames from here are ours, not the user's. In a Bun-compiled executable
 * our modules live in its embedded file system.
 */
const OUR_ROOT = import.meta.url.includes("/$bunfs/")
  ? "/$bunfs/"
  : fileURLToPath(new URL("../../", import.meta.url));

/**
 * The stack of an error thrown by a user's handler, without our frames and runtime internals,
 * so it points at their file and line.
 */
export function userStack(error: unknown): string {
  if (!(error instanceof Error)) return `Uncaught ${String(error)}`;
  const lines = (error.stack ?? `${error.name}: ${error.message}`).split("\n");
  const frames = lines.filter((l) => /^\s+at /.test(l));
  const head = lines.filter((l) => !/^\s+at /.test(l));
  const mine = frames.filter((l) =>
    !l.includes(OUR_ROOT) && !l.includes(`file://${OUR_ROOT}`) &&
    !/\bext:|node:internal|\(native\)/.test(l)
  );
  return [...head, ...mine].join("\n");
}
