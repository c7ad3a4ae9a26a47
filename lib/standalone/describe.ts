import { createHash } from "node:crypto";
import { describePackage, type Package } from "../package/mod.ts";
import type { EmbeddedTool } from "./embedded.ts";

/** `TOOL --ecli info`: what the tool carries, then the package's own summary. */
export function describeTool(tool: EmbeddedTool, pkg: Package): string {
  const p = tool.payload;
  const sha = createHash("sha256").update(p.package.text).digest("hex");
  const lines = [
    `tool:     ${p.name} (made by ecli ${p.ecli})`,
    `file:     ${tool.path}: ${tool.executableBytes} bytes of ecli + ${tool.payloadBytes} bytes of payload`,
    `package:  ${p.package.source} (${p.package.text.length} bytes, sha256 ${sha})`,
    `handler:  ${
      p.handler
        ? `${p.handler.source} (bundled, ${p.handler.code.length} bytes)`
        : p.eval !== undefined
        ? `-e ${JSON.stringify(p.eval)}`
        : "none (prints events)"
    }`,
    `defaults: ${p.args.length ? p.args.map(quote).join(" ") : "none"}`,
    "",
    describePackage(pkg, p.package.source),
  ];
  return lines.join("\n");
}

function quote(a: string): string {
  return /^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replaceAll("'", `'\\''`)}'`;
}
