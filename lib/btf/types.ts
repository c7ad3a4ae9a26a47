/** BTF kinds, numbered as in the kernel's `include/uapi/linux/btf.h`. */
export enum Kind {
  VOID = 0,
  INT = 1,
  PTR = 2,
  ARRAY = 3,
  STRUCT = 4,
  UNION = 5,
  ENUM = 6,
  FWD = 7,
  TYPEDEF = 8,
  VOLATILE = 9,
  CONST = 10,
  RESTRICT = 11,
  FUNC = 12,
  FUNC_PROTO = 13,
  VAR = 14,
  DATASEC = 15,
  FLOAT = 16,
  DECL_TAG = 17,
  TYPE_TAG = 18,
  ENUM64 = 19,
}

/** INT encoding bits. */
export const IntEncoding = { SIGNED: 1, CHAR: 2, BOOL: 4 } as const;

/** Linkage of a VAR (`BTF_VAR_*`). */
export enum VarLinkage {
  STATIC = 0,
  GLOBAL_ALLOCATED = 1,
  GLOBAL_EXTERN = 2,
}

/** Linkage of a FUNC (`BTF_FUNC_*`). */
export enum FuncLinkage {
  STATIC = 0,
  GLOBAL = 1,
  EXTERN = 2,
}

interface Base {
  /** Type id (index in the type table; 0 is void). */
  id: number;
  /** Name, `""` when anonymous. */
  name: string;
}

/** `void`, type id 0. */
export interface VoidType extends Base {
  kind: Kind.VOID;
}

/** An integer: `char`, `unsigned long long`, `_Bool`, … */
export interface IntType extends Base {
  kind: Kind.INT;
  /** Size in bytes. */
  size: number;
  /** Bit width of the value. */
  bits: number;
  /** Bit offset of the value inside its storage. */
  offset: number;
  /** Whether `IntEncoding.SIGNED` is set. */
  signed: boolean;
  /** Whether `IntEncoding.CHAR` is set. */
  char: boolean;
  /** Whether `IntEncoding.BOOL` is set. */
  bool: boolean;
}

/** A type that only refers to another: pointers, typedefs and qualifiers. */
export interface RefType extends Base {
  kind: Kind.PTR | Kind.TYPEDEF | Kind.VOLATILE | Kind.CONST | Kind.RESTRICT | Kind.TYPE_TAG;
  /** The referenced type id. */
  type: number;
}

/** A fixed-length array. */
export interface ArrayType extends Base {
  kind: Kind.ARRAY;
  /** Element type id. */
  type: number;
  /** Index type id. */
  indexType: number;
  /** Element count. */
  nelems: number;
}

/** A member of a struct or union. */
export interface Member {
  /** Member name, `""` for an anonymous nested struct/union. */
  name: string;
  /** Member type id. */
  type: number;
  /** Offset from the start of the composite, in bits. */
  bitOffset: number;
  /** Bitfield width in bits, 0 when the member is not a bitfield. */
  bitSize: number;
}

/** A struct or union. */
export interface CompositeType extends Base {
  kind: Kind.STRUCT | Kind.UNION;
  /** Size in bytes. */
  size: number;
  /** Members in declaration order. */
  members: Member[];
}

/** One enumerator. */
export interface Enumerator {
  /** Enumerator name. */
  name: string;
  /** Its value; bigint for ENUM64 values outside the safe integer range. */
  value: number | bigint;
}

/** An enum (32-bit) or enum64. */
export interface EnumType extends Base {
  kind: Kind.ENUM | Kind.ENUM64;
  /** Size in bytes. */
  size: number;
  /** Whether values are signed (BTF kind_flag). */
  signed: boolean;
  /** Enumerators in declaration order. */
  values: Enumerator[];
}

/** A forward declaration. */
export interface FwdType extends Base {
  kind: Kind.FWD;
  /** True for `union X;`, false for `struct X;`. */
  union: boolean;
}

/** A function (its prototype is `type`). */
export interface FuncType extends Base {
  kind: Kind.FUNC;
  /** FUNC_PROTO type id. */
  type: number;
  /** Linkage (static/global/extern). */
  linkage: FuncLinkage;
}

/** A parameter of a function prototype. */
export interface Param {
  /** Parameter name, often `""`. */
  name: string;
  /** Parameter type id; 0 with an empty name marks `...`. */
  type: number;
}

/** A function prototype. */
export interface FuncProtoType extends Base {
  kind: Kind.FUNC_PROTO;
  /** Return type id. */
  type: number;
  /** Parameters. */
  params: Param[];
}

/** A global or static variable. */
export interface VarType extends Base {
  kind: Kind.VAR;
  /** The variable's type id. */
  type: number;
  /** Linkage; libbpf's DATASEC fix-up may turn hidden globals into static. */
  linkage: VarLinkage;
}

/** One variable placed in a data section. */
export interface VarSecinfo {
  /** VAR (or FUNC for `.ksyms`) type id. */
  type: number;
  /** Offset inside the section in bytes. */
  offset: number;
  /** Size in bytes. */
  size: number;
}

/** A data section (`.rodata`, `.bss`, `.maps`, …) and the variables in it. */
export interface DatasecType extends Base {
  kind: Kind.DATASEC;
  /** Section size in bytes (0 in clang output until fixed up). */
  size: number;
  /** Variables, sorted by offset once fixed up. */
  vars: VarSecinfo[];
}

/** A floating-point type. */
export interface FloatType extends Base {
  kind: Kind.FLOAT;
  /** Size in bytes. */
  size: number;
}

/** A `btf_decl_tag` attached to a type, or to one member/parameter of it. */
export interface DeclTagType extends Base {
  kind: Kind.DECL_TAG;
  /** Tagged type id. */
  type: number;
  /** Member or parameter index, -1 for the type itself. */
  componentIdx: number;
}

/** Any BTF type. */
export type BtfType =
  | VoidType
  | IntType
  | RefType
  | ArrayType
  | CompositeType
  | EnumType
  | FwdType
  | FuncType
  | FuncProtoType
  | VarType
  | DatasecType
  | FloatType
  | DeclTagType;

/**
 * Whether an integer means a bool: the BOOL encoding, or a 1-byte `_Bool`/`bool` from a
 * producer that leaves the encoding out. Decoders, encoders and the generated types share it.
 */
export function isBoolInt(t: IntType): boolean {
  return t.bool || (t.size === 1 && (t.name === "_Bool" || t.name === "bool"));
}

/**
 * Whether `t` (modifiers skipped) is plain `char`, whose arrays are text. As upstream, arrays
 * reached through a typedef (`__u8[16]`) or of `unsigned char` hold addresses and hashes far
 * more often than text, so they stay numbers.
 */
export function isTextChar(t: BtfType): boolean {
  return t.kind === Kind.INT && t.size === 1 && (t.char || t.name === "char");
}
