/**
 * btfgen: tailored kernel BTF for kernels without `/sys/kernel/btf/vmlinux`. From a BPF
 * object's CO-RE relocations (`.BTF.ext`) and a full kernel BTF, keeps only what the
 * relocations touch (what `bpftool gen min_core_btf` does), and packs one such file per
 * kernel of a btfhub-archive tree into `package.tar`.
 * @module
 */
export * from "./candidates.ts";
export * from "./spec.ts";
export * from "./tailor.ts";
export * from "./archive.ts";
export * from "./package_tar.ts";
