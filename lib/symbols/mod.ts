/**
 * Symbols for stack traces: kernel frames from `/proc/kallsyms`, user frames through
 * `/proc/PID/maps` to the ELF symbol tables (`.symtab`, `.dynsym`, or a debug file found by
 * build-id / debuglink) of the mapped files, cached per file; upstream's `stack_trace`
 * interpreter (plain text) and folded stacks for flame graphs.
 *
 * ```ts
 * const s = new Symbolizer();
 * s.kernel(0xffffffff81000000n); // { addr, sym: "_stext", offset: 0, module: "kernel" }
 * ```
 * @module
 */
export * from "./frame.ts";
export * from "./kallsyms.ts";
export * from "./proc_maps.ts";
export * from "./elf_symbols.ts";
export * from "./symbolizer.ts";
export * from "./stack_trace.ts";
