/**
 * Regenerates the bundled `vmlinux.h` (used when the kernel has no BTF) from this machine's
 * kernel BTF with our own renderer: `deno run -A tools/bundle-vmlinux.ts`.
 * @module
 */
import { gzipSync } from "node:zlib";
import { parseBtf, renderCHeader } from "../lib/btf/mod.ts";
import { targetArch } from "../compile/toolchain.ts";

const arch = targetArch();
const dir = new URL(`../compile/include/vmlinux/${arch}/`, import.meta.url);
const release = Deno.readTextFileSync("/proc/sys/kernel/osrelease").trim();
const text = `/* Rendered by ecli-ts from the BTF of Linux ${release} (${arch}). */\n` +
  renderCHeader(parseBtf(Deno.readFileSync("/sys/kernel/btf/vmlinux")));
Deno.mkdirSync(dir, { recursive: true });
Deno.writeFileSync(new URL("vmlinux.h.gz", dir), gzipSync(text, { level: 9 }));
console.log(`wrote compile/include/vmlinux/${arch}/vmlinux.h.gz for ${release}`);
