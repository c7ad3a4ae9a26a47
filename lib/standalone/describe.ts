import { createHash } from "node:crypto";
import { Buffer } from "node:buffer";
import { shellQuote } from "../handler/mod.ts";
import { describePackage, type Package } from "../package/mod.ts";
import type { EmbeddedTool } from "./embedded.ts";

/** `TOOL --ecli info`: what the tool carries, then the package's own summary. */
export function describeTool(tool: EmbeddedTool, pkg?: Package): string {
  const p = tool.payload;
  const bytes = Buffer.from(p.program.data, "base64");
  const sha = createHash("sha256").update(bytes).digest("hex");
  const lines = [
    `tool:     ${p.name} (made by ecli ${p.ecli})`,
    `file:     ${tool.path}: ${tool.executableBytes} bytes of ecli + ${tool.payloadBytes} bytes of payload`,
    `program:  ${p.program.source} (${p.program.type}, ${bytes.length} bytes, sha256 ${sha})`,
    `handler:  ${
      p.handler
        ? `${p.handler.source} (bundled, ${p.handler.code.length} bytes)`
        : p.eval !== undefined
        ? `-e ${JSON.stringify(p.eval)}`
        : "none (prints events)"
    }`,
    `defaults: ${p.args.length ? p.args.map(shellQuote).join(" ") : "none"}`,
    ...(pkg ? ["", describePackage(pkg, p.program.source)] : []),
  ];
  return lines.join("\n");
}
