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
    sample: fn.optional(),
    stop: fn.optional(),
  }).strict().refine((o) => Object.keys(o).length > 0, {
    message: "the object has none of the hooks start, event, sample, stop",
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
      `${source}: ${where}: ${issue.message} (a function (event, ctx) or an object with start/event/sample/stop)`,
    );
  }
  const h = value as Handler;
  return typeof h === "function" ? { event: h as HandlerObject["event"] } : h as HandlerObject;
}

/**
 * Defines the global `bpf` template tag one-file scripts hold their C in (`bpf\`...\``): at run
 * time it only returns the text, which ecli has already compiled.
 */
export function installBpfTag(): void {
  (globalThis as { bpf?: unknown }).bpf ??= (s: TemplateStringsArray, ...v: unknown[]) =>
    String.raw(s, ...v);
}

/**
 * Imports a one-file script (its `bpf\`...\`` C already built) and returns its handler: the
 * default export, validated as for `--handler`, or undefined when it has none (events print).
 */
export async function loadScriptHandler(path: string): Promise<HandlerObject | undefined> {
  installBpfTag();
  const mod = await importHandlerModule(path);
  return mod.default === undefined ? undefined : validateHandler(mod.default, path);
}

/** Imports a handler module (TypeScript or JavaScript, no build step) and validates it. */
export async function loadHandler(path: string): Promise<HandlerObject> {
  const mod = await importHandlerModule(path);
  return validateHandler(mod.default, path);
}

async function importHandlerModule(path: string): Promise<{ default?: unknown }> {
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
  return mod;
}

/** Writes a generated TypeScript module to a private file and imports it. */
async function importSnippet(
  source: string,
  name: string,
): Promise<{ path: string; mod: { default?: unknown } }> {
  const dir = mkdtempSync(join(tmpdir(), "ecli-eval-"));
  const path = join(dir, name);
  writeFileSync(path, "// deno-lint-ignore-file\n" + source);
  return { path, mod: await importHandlerModule(path) };
}

/**
 * An inline handler from `-e CODE`: the code runs for every event with `e` (the event),
 * `ctx`, and `emit`, `stop`, `args`, `maps`, `$` in scope; a `return`ed value is emitted too.
 */
export async function evalHandler(code: string): Promise<HandlerObject> {
  const source = "export default function (e: any, ctx: any): unknown {\n" +
    "  const { emit, stop, args, maps, $ } = ctx;\n" +
    `  ${code}\n}\n`;
  let file = "eval.ts";
  try {
    const { path, mod } = await importSnippet(source, file);
    file = path;
    return validateHandler(mod.default, path);
  } catch (e) {
    if (e instanceof HandlerError) {
      throw new HandlerError(`-e: ${e.message.replace(/^[^:]*eval\.ts: /, "")}`, e.userStack);
    }
    throw e;
  }
}

/**
 * A `--filter` predicate: `expr` is a TypeScript expression over the event `e` (e.g.
 * `e.ret < 0 && e.comm != "sshd"`); events for which it is falsy go no further.
 */
export async function compileFilter(expr: string): Promise<(e: unknown) => boolean> {
  try {
    const { mod } = await importSnippet(
      `export default (e: any): boolean => !!(\n${expr}\n);\n`,
      "filter.ts",
    );
    return mod.default as (e: unknown) => boolean;
  } catch (e) {
    if (e instanceof HandlerError) {
      const why = e.message.replace(/^[^:]*filter\.ts: cannot load the handler: /, "");
      throw new HandlerError(`--filter: cannot compile '${expr}': ${why}`);
    }
    throw e;
  }
}
