import type { Btf } from "./btf.ts";
import { BtfError } from "./errors.ts";
import { declaration, type TypeNameOptions } from "./type_name.ts";
import {
  type BtfType,
  type CompositeType,
  type EnumType,
  type FwdType,
  Kind,
  type Member,
  type RefType,
} from "./types.ts";

/** Options of `renderCHeader`. */
export interface CHeaderOptions {
  /** Include-guard macro (default `__VMLINUX_H__`). */
  guard?: string;
  /**
   * Wrap the types in `#pragma clang attribute push (preserve_access_index)` so that every
   * struct access in a BPF program gets a CO-RE relocation (default true).
   */
  preserveAccessIndex?: boolean;
}

/** C spellings chosen for a BTF table, unique per C namespace. */
export interface CNames {
  /**
   * Spelling of each named type by id, without the `struct`/`union`/`enum` keyword; `""` for
   * anonymous types. Clashing names get `___2`, `___3`, … as bpftool does.
   */
  types: string[];
  /** Enumerator spellings of each ENUM/ENUM64 by id, in declaration order. */
  enumerators: Map<number, string[]>;
}

/**
 * Typedef that the compiler already knows; redefining it breaks the build. Clang's BPF target
 * makes it a `void *`; where BTF says otherwise (x86-64: a 24-byte array) it is emitted under
 * another name so that structs holding a `va_list` keep their kernel layout.
 */
const BUILTIN_TYPEDEF = "__builtin_va_list";

/** Words a C integer type name may be made of (gcc also emits names like `ssizetype`). */
const INT_WORDS = new Set([
  "signed",
  "unsigned",
  "char",
  "short",
  "int",
  "long",
  "_Bool",
  "__int128",
]);

/**
 * Picks a C spelling for every named type and enumerator. Struct, union, enum and forward
 * declarations share the tag namespace (a fwd shares its name with a struct/union of the same
 * tag); typedefs and enumerators share the ordinary-identifier namespace. Names are handed out
 * in type id order, so the first type keeps its BTF name.
 */
export function assignCNames(btf: Btf): CNames {
  const types = new Array<string>(btf.types.length).fill("");
  const enumerators = new Map<number, string[]>();
  const tags = new Map<string, { tag: string; defined: boolean }>();
  const idents = new Set<string>([BUILTIN_TYPEDEF]);
  const ident = (name: string) => {
    let c = name;
    for (let i = 2; idents.has(c); i++) c = `${name}___${i}`;
    idents.add(c);
    return c;
  };
  for (const t of btf.types) {
    switch (t.kind) {
      case Kind.INT:
        types[t.id] = t.name.split(" ").every((w) => INT_WORDS.has(w)) ? t.name : intName(t);
        break;
      case Kind.FLOAT:
        types[t.id] = t.name;
        break;
      case Kind.TYPEDEF:
        if (!t.name) break;
        types[t.id] = t.name === BUILTIN_TYPEDEF && btf.resolve(t.id).kind === Kind.PTR
          ? t.name
          : ident(t.name);
        break;
      case Kind.ENUM:
      case Kind.ENUM64:
        enumerators.set(t.id, t.values.map((v) => ident(v.name)));
      // falls through
      case Kind.STRUCT:
      case Kind.UNION:
      case Kind.FWD: {
        if (!t.name) break;
        const tag = tagOf(t);
        const fwd = t.kind === Kind.FWD;
        for (let i = 1;; i++) {
          const c = i === 1 ? t.name : `${t.name}___${i}`;
          const e = tags.get(c);
          if (!e) tags.set(c, { tag, defined: !fwd });
          else if (e.tag !== tag || (!fwd && e.defined)) continue;
          else if (!fwd) e.defined = true;
          types[t.id] = c;
          break;
        }
        break;
      }
    }
  }
  return { types, enumerators };
}

/**
 * Renders a whole BTF type table as a C header that compiles with clang for the BPF target and
 * reproduces every struct/union size and member offset, like
 * `bpftool btf dump file /sys/kernel/btf/vmlinux format c` (the `vmlinux.h` of BPF programs).
 * Functions, variables, data sections and decl tags are left out; type tags are transparent.
 */
export function renderCHeader(btf: Btf, opts: CHeaderOptions = {}): string {
  const guard = opts.guard ?? "__VMLINUX_H__";
  const pai = opts.preserveAccessIndex ?? true;
  const body = new HeaderWriter(btf).render();
  const pragma = (line: string) =>
    pai ? `#ifndef BPF_NO_PRESERVE_ACCESS_INDEX\n${line}\n#endif\n\n` : "";
  return `#ifndef ${guard}\n#define ${guard}\n\n` +
    pragma(
      "#pragma clang attribute push (__attribute__((preserve_access_index)), apply_to = record)",
    ) +
    body +
    pragma("#pragma clang attribute pop") +
    `#endif /* ${guard} */\n`;
}

/** A run of padding bits `[from, to)` written as unnamed bitfields. */
interface Pad {
  from: number;
  to: number;
}

/** How a struct/union is written so that clang lays it out exactly as BTF says. */
interface Layout {
  /** Members and the padding between them, in order. */
  items: (Member | Pad)[];
  packed: boolean;
  /** `aligned(N)` attribute, 0 for none. */
  aligned: number;
  /** Alignment of the type as rendered. */
  align: number;
}

// Emission states per type id.
const PENDING = 1;
const DONE = 2;

/**
 * Walks the type table in id order and emits each named type after what it needs: a complete
 * definition before any by-value use, a forward declaration before any use through a pointer.
 */
class HeaderWriter {
  readonly #btf: Btf;
  readonly #types: BtfType[];
  readonly #names: CNames;
  readonly #out: string[] = [];
  readonly #state: Uint8Array;
  /** `struct x` / `union x` already declared or defined. */
  readonly #declared = new Set<string>();
  /** What is being emitted: a composite's tag key, or `""` for a typedef. */
  readonly #emitting: string[] = [];
  /** Tag names that some struct/union defines (fwds of them need no declaration of their own). */
  readonly #definedTags = new Set<string>();
  readonly #layouts: (Layout | undefined)[] = [];
  /** Largest power of two dividing every offset a composite is embedded at (0: never). */
  readonly #embedAlign: Float64Array;
  /** Anonymous enums whose enumerators have been written. */
  readonly #enumWritten: Uint8Array;
  readonly #opts: TypeNameOptions[] = [];
  readonly #nameOf = (t: BtfType) => this.#names.types[t.id] || t.name;

  constructor(btf: Btf) {
    this.#btf = btf;
    this.#types = btf.types;
    this.#names = assignCNames(btf);
    this.#state = new Uint8Array(btf.types.length);
    this.#enumWritten = new Uint8Array(btf.types.length);
    this.#embedAlign = this.#embedAlignments();
    for (const t of this.#types) {
      if ((t.kind === Kind.STRUCT || t.kind === Kind.UNION) && t.name) {
        this.#definedTags.add(this.#tagKey(t));
      }
    }
  }

  render(): string {
    for (const t of this.#types) {
      switch (t.kind) {
        case Kind.STRUCT:
        case Kind.UNION:
          if (t.name) this.#define(t);
          break;
        case Kind.ENUM:
        case Kind.ENUM64:
          if (t.name) this.#emitEnum(t);
          break;
        case Kind.TYPEDEF:
          this.#emitTypedef(t);
          break;
        case Kind.FWD:
          if (!this.#definedTags.has(this.#tagKey(t))) this.#forward(t);
          break;
      }
    }
    // Anonymous enums that no member or typedef spelled out still carry constants.
    for (const t of this.#types) {
      if ((t.kind === Kind.ENUM || t.kind === Kind.ENUM64) && !t.name && !this.#enumWritten[t.id]) {
        this.#out.push(`${this.#enumText(t, 0)};\n\n`);
      }
    }
    return this.#out.join("");
  }

  // ---- dependencies -------------------------------------------------------------------------

  /** Makes `id` usable: complete when `strong` (by value), else declared (through a pointer). */
  #need(id: number, strong: boolean): void {
    const t = this.#types[id];
    switch (t.kind) {
      case Kind.PTR:
        return this.#need(t.type, false);
      case Kind.ARRAY:
        // Array elements must be complete even behind a pointer.
        return this.#need(t.type, true);
      case Kind.CONST:
      case Kind.VOLATILE:
      case Kind.RESTRICT:
      case Kind.TYPE_TAG:
        return this.#need(t.type, strong);
      case Kind.TYPEDEF:
        this.#emitTypedef(t);
        if (strong) this.#need(t.type, true);
        return;
      case Kind.FUNC_PROTO:
        // Parameters of a declaration may be incomplete, but their tags must already exist,
        // or clang scopes them to the prototype.
        this.#need(t.type, false);
        for (const p of t.params) this.#need(p.type, false);
        return;
      case Kind.STRUCT:
      case Kind.UNION:
        if (!t.name) return this.#needMembers(t);
        return strong ? this.#define(t) : this.#forward(t);
      case Kind.ENUM:
      case Kind.ENUM64:
        if (t.name) this.#emitEnum(t);
        return;
      case Kind.FWD:
        return this.#forward(t);
    }
  }

  /** An anonymous composite is defined where used, so its members must be complete first. */
  #needMembers(t: CompositeType): void {
    if (this.#state[t.id]) return;
    this.#state[t.id] = PENDING;
    for (const m of t.members) this.#need(m.type, true);
    this.#state[t.id] = DONE;
  }

  #define(t: CompositeType): void {
    // PENDING means a by-value cycle, which C cannot express; BTF from C never has one.
    if (this.#state[t.id]) return;
    this.#state[t.id] = PENDING;
    const key = this.#tagKey(t);
    this.#emitting.push(key);
    for (const m of t.members) this.#need(m.type, true);
    this.#emitting.pop();
    this.#out.push(`${this.#compositeText(t, 0)};\n\n`);
    this.#declared.add(key);
    this.#state[t.id] = DONE;
  }

  #forward(t: CompositeType | FwdType): void {
    const key = this.#tagKey(t);
    // A struct's own body may name it: its tag is in scope from `struct x {` on.
    if (this.#declared.has(key) || this.#emitting[this.#emitting.length - 1] === key) return;
    this.#declared.add(key);
    this.#out.push(`${key};\n\n`);
  }

  #emitTypedef(t: RefType): void {
    if (this.#state[t.id]) return;
    this.#state[t.id] = PENDING;
    if (this.#names.types[t.id] !== BUILTIN_TYPEDEF) {
      this.#emitting.push("");
      this.#need(t.type, false);
      this.#emitting.pop();
      this.#out.push(`typedef ${this.#decl(t.type, this.#names.types[t.id], 0)};\n\n`);
    }
    this.#state[t.id] = DONE;
  }

  #emitEnum(t: EnumType): void {
    if (this.#state[t.id]) return;
    this.#state[t.id] = DONE;
    this.#out.push(
      t.values.length ? `${this.#enumText(t, 0)};\n\n` : `enum ${this.#names.types[t.id]};\n\n`,
    );
  }

  #tagKey(t: CompositeType | FwdType): string {
    const tag = t.kind === Kind.UNION || (t.kind === Kind.FWD && t.union) ? "union" : "struct";
    return `${tag} ${this.#names.types[t.id]}`;
  }

  // ---- text ---------------------------------------------------------------------------------

  /** `declaration` with our names, anonymous types written inline at nesting `depth`. */
  #decl(id: number, declarator: string, depth: number): string {
    let o = this.#opts[depth];
    if (!o) {
      o = this.#opts[depth] = {
        name: this.#nameOf,
        anonymous: (t) => this.#inlineText(t, depth),
      };
    }
    return declaration(this.#btf, id, declarator, o);
  }

  #inlineText(t: BtfType, depth: number): string {
    if (t.kind === Kind.STRUCT || t.kind === Kind.UNION) return this.#compositeText(t, depth);
    if (t.kind === Kind.ENUM || t.kind === Kind.ENUM64) {
      // A second inline copy would redefine its enumerators: later uses get the plain integer.
      if (this.#enumWritten[t.id]) return intSpelling(t.size, t.signed);
      return this.#enumText(t, depth);
    }
    return `/* ${Kind[t.kind]} */`;
  }

  /** `struct name {…} attrs` with members at `depth + 1` tabs, the brace at `depth`. */
  #compositeText(t: CompositeType, depth: number): string {
    const layout = this.#layout(t);
    const tab = "\t".repeat(depth + 1);
    const head = `${t.kind === Kind.UNION ? "union" : "struct"} ${
      t.name ? this.#names.types[t.id] + " " : ""
    }{`;
    let body = "";
    for (const item of layout.items) {
      if ("to" in item) {
        body += t.kind === Kind.UNION
          ? `${tab}struct {\n${padText(item, tab + "\t")}${tab}};\n`
          : padText(item, tab);
      } else {
        const bits = item.bitSize ? `: ${item.bitSize}` : "";
        body += `${tab}${this.#decl(item.type, item.name, depth + 1)}${bits};\n`;
      }
    }
    let attrs = "";
    if (layout.packed) attrs += " __attribute__((packed))";
    if (layout.aligned) attrs += ` __attribute__((aligned(${layout.aligned})))`;
    return body ? `${head}\n${body}${"\t".repeat(depth)}}${attrs}` : `${head}}${attrs}`;
  }

  #enumText(t: EnumType, depth: number): string {
    this.#enumWritten[t.id] = 1;
    const names = this.#names.enumerators.get(t.id)!;
    const tab = "\t".repeat(depth + 1);
    let body = "";
    let min = 0n;
    let max = 0n;
    for (let i = 0; i < t.values.length; i++) {
      const v = BigInt(t.values[i].value);
      if (v < min) min = v;
      if (v > max) max = v;
      body += `${tab}${names[i]} = ${enumLiteral(v, t)},\n`;
    }
    // clang sizes an enum from its values; BTF may say otherwise (packed or 64-bit enums).
    const fitsInt = (min >= -(2n ** 31n) && max < 2n ** 31n) || (min >= 0n && max < 2n ** 32n);
    const mode = t.size === (fitsInt ? 4 : 8) ? "" : MODE[t.size];
    const attr = mode ? ` __attribute__((mode(${mode})))` : "";
    const name = t.name ? this.#names.types[t.id] + " " : "";
    return `enum ${name}{\n${body}${"\t".repeat(depth)}}${attr}`;
  }

  // ---- layout -------------------------------------------------------------------------------

  /** Alignment of a type as this header renders it (clang BPF rules, our attributes). */
  #alignOf(id: number): number {
    for (;;) {
      const t = this.#types[id];
      switch (t.kind) {
        case Kind.TYPEDEF:
        case Kind.CONST:
        case Kind.VOLATILE:
        case Kind.RESTRICT:
        case Kind.TYPE_TAG:
        case Kind.ARRAY:
          id = t.type;
          continue;
        case Kind.INT:
        case Kind.FLOAT:
        case Kind.ENUM:
        case Kind.ENUM64:
          return Math.min(t.size, 16) || 1;
        case Kind.PTR:
          return 8;
        case Kind.STRUCT:
        case Kind.UNION:
          return this.#layout(t).align;
        default:
          return 1;
      }
    }
  }

  #layout(t: CompositeType): Layout {
    let l = this.#layouts[t.id];
    if (!l) {
      // Padding is written 64 bits a line: a (corrupt) gigabyte struct would never finish.
      if (t.size > MAX_RENDERED_SIZE) {
        throw new BtfError(
          `type id ${t.id}: a ${t.size}-byte ${Kind[t.kind].toLowerCase()} is too large to render`,
        );
      }
      const lay = t.kind === Kind.UNION ? this.#layoutUnion : this.#layoutStruct;
      // Natural layout first; `packed` only when BTF offsets or size rule it out.
      l = lay.call(this, t, false) ?? lay.call(this, t, true) ?? {
        items: t.members,
        packed: true,
        aligned: 0,
        align: 1,
      };
      this.#layouts[t.id] = l;
    }
    return l;
  }

  /** Mirrors clang's struct layout, adding padding where BTF offsets skip bits. */
  #layoutStruct(t: CompositeType, packed: boolean): Layout | undefined {
    const items: (Member | Pad)[] = [];
    let cursor = 0;
    let maxAlign = 1;
    for (const m of t.members) {
      const a = this.#alignOf(m.type);
      const pos = m.bitOffset;
      let natural: number;
      if (!m.bitSize) {
        const al = packed ? 8 : 8 * a;
        if (pos % al) return undefined;
        natural = roundUp(cursor, al);
      } else {
        natural = cursor;
        if (!packed) {
          // A bitfield never straddles an aligned unit of its type.
          const unit = 8 * this.#btf.sizeOf(m.type);
          if ((cursor % (8 * a)) + m.bitSize > unit) natural = roundUp(cursor, 8 * a);
          if ((pos % (8 * a)) + m.bitSize > unit) return undefined;
        }
      }
      if (pos < natural) return undefined;
      if (pos > natural) items.push({ from: cursor, to: pos });
      items.push(m);
      cursor = pos + (m.bitSize || 8 * this.#btf.sizeOf(m.type));
      if (a > maxAlign) maxAlign = a;
    }
    return this.#finish(t, items, cursor, packed ? 1 : maxAlign, packed);
  }

  #layoutUnion(t: CompositeType, packed: boolean): Layout | undefined {
    let end = 0;
    let maxAlign = 1;
    for (const m of t.members) {
      if (m.bitOffset) return undefined;
      end = Math.max(end, m.bitSize ? roundUp(m.bitSize, 8) : 8 * this.#btf.sizeOf(m.type));
      maxAlign = Math.max(maxAlign, this.#alignOf(m.type));
    }
    return this.#finish(t, [...t.members], end, packed ? 1 : maxAlign, packed);
  }

  /** Fixes the size: as is, or via `aligned(N)` when that fits, or via trailing padding. */
  #finish(
    t: CompositeType,
    items: (Member | Pad)[],
    end: number,
    align: number,
    packed: boolean,
  ): Layout | undefined {
    const size = 8 * t.size;
    const natural = roundUp(end, 8 * align);
    if (size < natural) return undefined;
    let aligned = 0;
    if (size > natural) {
      // Every N in a contiguous range may explain the size. The kernel mostly over-aligns to a
      // cache line, so 64 wins when it fits, else the smallest; an embedding may deny both.
      const limit = this.#embedAlign[t.id] || Infinity;
      for (let n = align * 2; n <= size / 8 && n <= limit; n *= 2) {
        if (roundUp(end, 8 * n) !== size) continue;
        if (!aligned || n === 64) aligned = n;
      }
      if (aligned) align = aligned;
      else if (size % (8 * align)) return undefined;
      else items.push({ from: t.kind === Kind.UNION ? 0 : end, to: size });
    }
    return { items, packed, aligned, align };
  }

  /** For `aligned(N)` guesses: where is each composite embedded by value? */
  #embedAlignments(): Float64Array {
    const out = new Float64Array(this.#types.length);
    const lowBit = (x: number) => x === 0 ? Infinity : x & -x;
    for (const t of this.#types) {
      if (t.kind !== Kind.STRUCT && t.kind !== Kind.UNION) continue;
      for (const m of t.members) {
        if (m.bitSize || m.bitOffset % 8) continue;
        let a = lowBit(m.bitOffset / 8);
        let id = m.type;
        for (let depth = 0; depth < 64; depth++) {
          const r = this.#types[id];
          if (r.kind === Kind.ARRAY) {
            if (r.nelems > 1) a = Math.min(a, lowBit(this.#btf.sizeOf(r.type)));
            id = r.type;
          } else if (
            r.kind === Kind.TYPEDEF || r.kind === Kind.CONST || r.kind === Kind.VOLATILE ||
            r.kind === Kind.RESTRICT || r.kind === Kind.TYPE_TAG
          ) id = r.type;
          else {
            if (r.kind === Kind.STRUCT || r.kind === Kind.UNION) {
              out[id] = out[id] ? Math.min(out[id], a) : a;
            }
            break;
          }
        }
      }
    }
    return out;
  }
}

const MODE: Record<number, string> = { 1: "QI", 2: "HI", 4: "SI", 8: "DI" };

function roundUp(x: number, to: number): number {
  return Math.ceil(x / to) * to;
}

function tagOf(t: BtfType): string {
  if (t.kind === Kind.FWD) return t.union ? "union" : "struct";
  return t.kind === Kind.UNION ? "union" : t.kind === Kind.STRUCT ? "struct" : "enum";
}

/** C name of an integer type that BTF spells in a non-C way (gcc's `ssizetype`). */
function intName(t: { size: number; signed: boolean; bool: boolean }): string {
  if (t.bool) return "_Bool";
  return intSpelling(t.size, t.signed);
}

function intSpelling(size: number, signed: boolean): string {
  const base = size === 1
    ? "char"
    : size === 2
    ? "short"
    : size === 4
    ? "int"
    : size === 16
    ? "__int128"
    : "long long";
  return signed ? (size === 1 ? "signed char" : base) : `unsigned ${base}`;
}

/** An enumerator value; 64-bit ones carry the suffix clang needs to read them back exactly. */
function enumLiteral(v: bigint, t: EnumType): string {
  if (t.kind === Kind.ENUM || (v >= -(2n ** 31n) && v < 2n ** 31n)) return String(v);
  if (v === -(2n ** 63n)) return "(-9223372036854775807LL - 1)";
  return v < 0n || t.signed ? `${v}LL` : `${v}ULL`;
}

/** Unnamed bitfields covering bits `[from, to)`, none straddling its type's unit. */
function padText(pad: Pad, tab: string): string {
  let out = "";
  for (let c = pad.from; c < pad.to;) {
    const w = Math.min(64 - (c % 64), pad.to - c);
    // The smallest type whose aligned unit holds the whole run reads most naturally.
    let unit = 8;
    while (Math.floor(c / unit) !== Math.floor((c + w - 1) / unit)) unit *= 2;
    out += `${tab}${PAD_TYPE[unit]}: ${w};\n`;
    c += w;
  }
  return out;
}

/** The largest struct or union rendered (the kernel's largest are a few hundred KiB). */
const MAX_RENDERED_SIZE = 4 * 2 ** 20;

const PAD_TYPE: Record<number, string> = { 8: "char", 16: "short", 32: "int", 64: "long" };
