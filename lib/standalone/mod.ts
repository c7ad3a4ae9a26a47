/**
 * Standalone tools: an ecli executable with one package (and its handler and default flags)
 * appended as a verified payload, so `./opensnoop --pid 42` runs on a host with nothing else
 * installed. The layout: the executable's ELF image, the payload (JSON), then a 64-byte trailer
 * (magic, format, payload length, sha256, end magic). The executable finds the payload past
 * the end of its own ELF image, so a truncated or altered tool is told apart from a plain ecli.
 * @module
 */
export * from "./errors.ts";
export * from "./payload.ts";
export * from "./embedded.ts";
export * from "./bundle.ts";
export * from "./describe.ts";
export * from "./handler.ts";
