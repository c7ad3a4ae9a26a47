import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { z } from "zod";
import { HandlerError } from "./errors.ts";
import { userStack } from "./stack.ts";
import type { Handler, HandlerHooks } from "./types.ts";

const fn = z.custom<(...args: unknown[]) => unknown>((v) => typeof v === "function", {
  message: "expected a function",
});

/** The default export of a handler module: a function, or an object of optional hooks. */
export const HandlerSchema = z.union([
  fn,
  z.object({
    start: fn.optional(),
    event: fn.optional(),
    view: fn.optional(),
    batch: fn.optional(),
    sample: fn.optional(),
    stop: fn.optional(),
  }).strict().refine((o) => Object.keys(o).length > 0, {
    message: "the object has none of the hooks start, event, view, batch, sample, stop",
  }).refine((o) => ["event", "view", "batch"].filter((k) => k in o).length <= 1, {
    message: "event, view and batch are alternatives; give one",
  }),
]);

/** A validated handler: always the hooks form. */
export type HandlerObject = HandlerHooks<unknown, unknown, unknown>;

/** Checks a module's default export and normalises it to the hooks form. */
export function validateHandler(value: unknown, source: string): HandlerObject {
  if (value === undefined) {
    throw new HandlerError(
      `${source}: no default export (export default a function or an object of hooks)`,
    );
  }
  const r = HandlerSchema.safeParse(value);
  if (!r.success) {
    const issue = r.error.issues[0];
    const where = issue.path.length ? `default export .${issue.path.join(".")}` : "default export";
    throw new HandlerError(
      `${source}: ${where}: ${issue.message} (a function (event, ctx) or an object with start/event/view/batch/sample/stop)`,
    );
  }
  const h = value as Handler;
  return typeof h === "function" ? { event: h as HandlerObject["event"] } : h as HandlerObject;
}

/** Imports a handler module (TypeScript or JavaScript, no build step) and validates it. */
export async function loadHandler(path: string): Promise<HandlerObject> {
  const abs = resolve(path);
  if (!existsSync(abs)) throw new HandlerError(`${path}: no such file`);
  let mod: { default?: unknown };
  try {
    mod = await import(pathToFileURL(abs).href);
  } catch (e) {
    throw new HandlerError(
      `${path}: cannot load the handler: ${(e as Error).message.split("\n")[0]}`,
      userStack(e),
    );
  }
  return validateHandler(mod.default, path);
}

/**
 * An inline handler from `-e CODE`: the code runs for every event with `e` (the event),
 * `ctx`, and `emit`, `stop`, `args`, `maps` in scope; a `return`ed value is emitted too.
 */
export async function evalHandler(code: string): Promise<HandlerObject> {
  const dir = mkdtempSync(join(tmpdir(), "ecli-eval-"));
  const file = join(dir, "eval.ts");
  writeFileSync(
    file,
    "// deno-lint-ignore-file\n" +
      "export default function (e: any, ctx: any): unknown {\n" +
      "  const { emit, stop, args, maps } = ctx;\n" +
      `  ${code}\n}\n`,
  );
  try {
    return await loadHandler(file);
  } catch (e) {
    if (e instanceof HandlerError) {
      throw new HandlerError(`-e: ${e.message.replace(`${file}: `, "")}`, e.userStack);
    }
    throw e;
  }
}
