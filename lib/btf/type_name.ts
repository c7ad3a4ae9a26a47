import type { Btf } from "./btf.ts";
import { type BtfType, Kind } from "./types.ts";

/** Options of `typeName`/`declaration`. */
export interface TypeNameOptions {
  /** Drop const/volatile/restrict, as libbpf's `emit_type_decl` does with `strip_mods`. */
  stripMods?: boolean;
  /** How an anonymous struct/union/enum is written (default `struct {...}`). */
  anonymous?: (t: BtfType) => string;
  /**
   * How a named type (int, float, typedef, struct, union, enum, fwd) is spelled, without the
   * `struct`/`union`/`enum` keyword (default its BTF name); lets a C header rename clashes.
   */
  name?: (t: BtfType) => string;
}

const QUALIFIER: Partial<Record<Kind, string>> = {
  [Kind.CONST]: "const",
  [Kind.VOLATILE]: "volatile",
  [Kind.RESTRICT]: "restrict",
};

function withDeclarator(base: string, declarator: string): string {
  if (!declarator) return base;
  return declarator.startsWith("[") ? base + declarator : `${base} ${declarator}`;
}

/**
 * Renders the C declaration of type `id` around `declarator` (a variable or member name, or
 * `""` for an abstract type name): `char[16]`, `struct event *`, `int (*)[3]`,
 * `void (*)(int, char *)`, `unsigned long long`, `enum event_type`.
 */
export function declaration(
  btf: Btf,
  id: number,
  declarator = "",
  opts: TypeNameOptions = {},
): string {
  const t = btf.type(id);
  switch (t.kind) {
    case Kind.VOID:
      return withDeclarator("void", declarator);
    case Kind.INT:
    case Kind.FLOAT:
    case Kind.TYPEDEF:
      return withDeclarator(opts.name?.(t) ?? t.name, declarator);
    case Kind.STRUCT:
    case Kind.UNION:
    case Kind.ENUM:
    case Kind.ENUM64: {
      const tag = t.kind === Kind.UNION ? "union" : t.kind === Kind.STRUCT ? "struct" : "enum";
      const base = t.name
        ? `${tag} ${opts.name?.(t) ?? t.name}`
        : (opts.anonymous?.(t) ?? `${tag} {...}`);
      return withDeclarator(base, declarator);
    }
    case Kind.FWD:
      return withDeclarator(
        `${t.union ? "union" : "struct"} ${opts.name?.(t) ?? t.name}`,
        declarator,
      );
    case Kind.PTR: {
      // Qualifiers between the `*` and an array/function still need the parentheses.
      const target = btf.skipModifiers(t.type);
      const needsParens = target.kind === Kind.ARRAY || target.kind === Kind.FUNC_PROTO;
      return declaration(btf, t.type, needsParens ? `(*${declarator})` : `*${declarator}`, opts);
    }
    case Kind.ARRAY:
      return declaration(btf, t.type, `${declarator}[${t.nelems}]`, opts);
    case Kind.FUNC_PROTO: {
      const params = t.params.map((p) =>
        p.type === 0 && !p.name ? "..." : declaration(btf, p.type, "", opts)
      );
      return declaration(
        btf,
        t.type,
        `${declarator}(${params.length ? params.join(", ") : "void"})`,
        opts,
      );
    }
    case Kind.CONST:
    case Kind.VOLATILE:
    case Kind.RESTRICT: {
      if (opts.stripMods) return declaration(btf, t.type, declarator, opts);
      const q = QUALIFIER[t.kind]!;
      const target = btf.skipModifiers(t.type);
      // A qualified pointer keeps the qualifier right of the `*`; anything else reads
      // naturally with it in front of the base type.
      if (target.kind === Kind.PTR) {
        return declaration(btf, t.type, declarator ? `${q} ${declarator}` : q, opts);
      }
      // `const` over an array of const elements (BTF keeps both) must not read `const const`.
      const inner = declaration(btf, t.type, declarator, opts);
      return inner.startsWith(`${q} `) ? inner : `${q} ${inner}`;
    }
    case Kind.TYPE_TAG:
      return declaration(btf, t.type, declarator, opts);
    case Kind.FUNC:
      return declaration(btf, t.type, t.name + declarator, opts);
    case Kind.VAR:
      return declaration(btf, t.type, declarator || t.name, opts);
    default:
      return withDeclarator(`/* ${Kind[t.kind]} */`, declarator);
  }
}

/**
 * The C name of a type as upstream's metadata prints it (libbpf `btf_dump__emit_type_decl`
 * with `strip_mods`): `const volatile int` gives `int`, typedef names are kept.
 */
export function typeName(
  btf: Btf,
  id: number,
  opts: TypeNameOptions = { stripMods: true },
): string {
  return declaration(btf, id, "", opts);
}
