/**
 * Kernel functions as the kernel's BTF (`/sys/kernel/btf/vmlinux`) describes them: every FUNC
 * and its prototype, the typed arguments of fentry/fexit and kprobe/kretprobe probes.
 * @module
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { type Btf, declaration, Kind, parseBtf } from "../../lib/btf/mod.ts";
import { cacheDir, writeFileAtomic } from "../cache.ts";
import { hashHex, KERNEL_BTF } from "../vmlinux.ts";
import { fieldName, type FieldValue, intType, type ProbeField } from "./fields.ts";

let kernel: Btf | null | undefined;

/** The running kernel's BTF, or undefined when it has none. */
export function kernelBtf(): Btf | undefined {
  if (kernel === undefined) {
    try {
      kernel = parseBtf(readFileSync(KERNEL_BTF));
    } catch {
      kernel = null;
    }
  }
  return kernel ?? undefined;
}

/** Names of every kernel function in BTF, sorted. */
export function listFunctions(btf: Btf): string[] {
  const names = new Set<string>();
  for (const t of btf.types) if (t.kind === Kind.FUNC && t.name) names.add(t.name);
  return [...names].sort();
}

/** How a value of BTF type `id` is stored: integers, enums, pointers; strings for `char *`. */
function valueOf(btf: Btf, id: number): FieldValue | undefined {
  const t = btf.resolve(id);
  switch (t.kind) {
    case Kind.INT: {
      const it = intType(t.size, t.signed && !t.bool);
      return it ? { kind: "int", type: it } : undefined;
    }
    case Kind.ENUM:
    case Kind.ENUM64: {
      const it = intType(t.size, t.signed);
      return it ? { kind: "int", type: it } : undefined;
    }
    case Kind.PTR: {
      const target = btf.resolve(t.type);
      const isChar = target.kind === Kind.INT && target.size === 1 &&
        (target.char || target.name === "char");
      return isChar ? { kind: "string" } : { kind: "int", type: "u64" };
    }
    default:
      return undefined;
  }
}

/** A kernel function's prototype: its arguments and return value as probe fields. */
export interface FunctionProto {
  /** The arguments (a struct passed by value is left out, but keeps its index). */
  args: ProbeField[];
  /** The return value, when the function returns a scalar. */
  ret?: ProbeField;
  /** How many arguments the function takes. */
  argCount: number;
}

/** The prototype of kernel function `name`, or undefined when BTF has no such function. */
export function functionProto(btf: Btf, name: string): FunctionProto | undefined {
  const fn = btf.find(name, Kind.FUNC);
  if (!fn) return undefined;
  const proto = btf.type(fn.type);
  if (proto.kind !== Kind.FUNC_PROTO) return undefined;
  const args: ProbeField[] = [];
  proto.params.forEach((p, index) => {
    const value = p.type ? valueOf(btf, p.type) : undefined;
    const name = p.name || `arg${index}`;
    if (value) {
      args.push({
        name: fieldName(name),
        decl: declaration(btf, p.type, name),
        value,
        source: { from: "arg", index },
      });
    }
  });
  const retValue = proto.type ? valueOf(btf, proto.type) : undefined;
  const ret = retValue && {
    name: "ret",
    decl: declaration(btf, proto.type, "ret"),
    value: retValue,
    source: { from: "ret" } as const,
  };
  return { args, ret, argCount: proto.params.length };
}

/** This kernel's identity (release, build, BTF size), or undefined without BTF. */
function kernelIdentity(): string | undefined {
  try {
    const release = readFileSync("/proc/sys/kernel/osrelease", "utf8").trim();
    const version = readFileSync("/proc/sys/kernel/version", "utf8").trim();
    return hashHex(`${release}:${version}:${statSync(KERNEL_BTF).size}`);
  } catch {
    return undefined;
  }
}

/**
 * `functionProto` of the running kernel, cached per kernel: parsing its BTF costs about a
 * second, so a trace whose package is cached starts without it. Undefined for no function.
 */
export function kernelFunctionProto(name: string): FunctionProto | undefined {
  const id = kernelIdentity();
  const file = id && cacheDir("trace-functions", id, `${name.replace(/[^\w.]/g, "_")}.json`);
  if (file && existsSync(file)) {
    try {
      return JSON.parse(readFileSync(file, "utf8")) as FunctionProto;
    } catch { /* rewritten below */ }
  }
  const btf = kernelBtf();
  const proto = btf && functionProto(btf, name);
  if (proto && file) writeFileAtomic(file, JSON.stringify(proto));
  return proto;
}

/** uprobe arguments: no types, the five u64 argument registers BPF_KPROBE reads. */
export function uprobeArgs(): ProbeField[] {
  return Array.from({ length: 5 }, (_, index) => ({
    name: `arg${index}`,
    decl: `u64 arg${index}`,
    value: { kind: "int", type: "u64" } as const,
    source: { from: "arg", index } as const,
  }));
}
