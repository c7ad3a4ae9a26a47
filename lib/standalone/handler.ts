import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { evalHandler, type HandlerObject, installBpfTag, loadHandler } from "../handler/mod.ts";
import type { ToolPayload } from "./payload.ts";

/**
 * The handler a tool carries, loaded: the bundled module is written to a private temporary
 * file (ES modules import from files) and removed once imported; `-e` code is compiled as
 * `ecli run -e` does. Undefined when the tool prints events itself.
 */
export async function toolHandler(payload: ToolPayload): Promise<HandlerObject | undefined> {
  if (payload.eval !== undefined) return await evalHandler(payload.eval);
  if (!payload.handler) return undefined;
  installBpfTag(); // a bundled one-file script still holds its bpf`...` C
  const dir = mkdtempSync(join(tmpdir(), "ecli-tool-"));
  const file = join(dir, payload.handler.source.replace(/\.[cm]?[jt]sx?$/, "") + ".mjs");
  writeFileSync(file, payload.handler.code);
  try {
    return await loadHandler(file);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
