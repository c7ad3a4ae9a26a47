/**
 * Field writers: for one BTF type, a closure that checks a JS value and stores it at a fixed
 * place. Every offset, width, range and name table is worked out here, once per type; writing
 * a value is then a walk over closures with no type dispatch. Writers assume the value's bytes
 * start zeroed (missing members and short arrays stay zero, bitfields merge into them).
 * @module
 */
import { type Btf, type EnumType, isBoolInt, isTextChar, Kind, typeName } from "../btf/mod.ts";
import { EncodeError, FieldProblem, within } from "./errors.ts";
import { type BitPlace, bitPlace, writeBits, writeF16, writeI128 } from "./scalars.ts";
import {
  describeValue,
  intRange,
  isArrayLike,
  isRecord,
  quote,
  toBoolBit,
  toIntBigInt,
  toIntNumber,
} from "./values.ts";

/**
 * Checks `v` and stores it at byte `at` of `bytes` (`view` covers the same buffer). Throws a
 * `FieldProblem` when `v` does not fit.
 */
export type FieldWriter = (v: unknown, view: DataView, bytes: Uint8Array, at: number) => void;

/** Nesting deeper than this is taken as a malformed (cyclic) type graph. */
const MAX_DEPTH = 32;
/** Enumerator names listed in an "unknown enumerator" message; the rest are counted. */
const LISTED_NAMES = 16;

/** A named member of a struct/union (anonymous members flattened) or a variable of a DATASEC. */
interface MemberWriter {
  write: FieldWriter;
  /** The unions the member lies in, innermost last: [union index, alternative index]. */
  unions: [number, number][];
}

/** Builds field writers for the types of one `Btf`. */
export class WriterBuilder {
  #btf: Btf;

  /** A builder for types of `btf`. */
  constructor(btf: Btf) {
    this.#btf = btf;
  }

  /**
   * The writer of type `id` at byte 0; `path` names the type in build errors (types that have
   * no value, unsupported widths).
   */
  value(id: number, path: string, depth = 0): FieldWriter {
    if (depth > MAX_DEPTH) throw new EncodeError(`${path}: types nest too deep (cyclic BTF?)`);
    const btf = this.#btf;
    const t = btf.resolve(id);
    switch (t.kind) {
      case Kind.INT:
        if (t.offset !== 0 || t.bits !== t.size * 8) return this.bitfield(id, 0, 0, path);
        if (isBoolInt(t)) return boolWriter(t.size, this.#name(id));
        return intWriter(t.size, t.signed, this.#name(id), path);
      case Kind.ENUM:
      case Kind.ENUM64:
        return this.#enum(t, this.#name(id), path);
      case Kind.FLOAT:
        return floatWriter(t.size, this.#name(id), path);
      case Kind.PTR:
        return intWriter(8, false, this.#name(id), path); // BPF pointers are always 64-bit
      case Kind.ARRAY: {
        const elem = btf.skipModifiers(t.type);
        if (isTextChar(elem)) {
          return charArrayWriter(t.nelems, this.#name(id));
        }
        const inner = this.value(t.type, `${path}[]`, depth + 1);
        return arrayWriter(inner, t.nelems, btf.sizeOf(t.type), this.#name(id));
      }
      case Kind.STRUCT:
      case Kind.UNION:
        return this.#composite(t.id, path, depth);
      case Kind.DATASEC: {
        const members = new Map<string, MemberWriter>();
        for (const s of t.vars) {
          const v = btf.type(s.type);
          const inner = v.kind === Kind.VAR ? v.type : s.type;
          const w = this.value(inner, `${path}.${v.name}`, depth + 1);
          members.set(v.name, { write: shifted(w, s.offset), unions: [] });
        }
        return recordWriter(members, `section ${t.name}`, []);
      }
      case Kind.VAR:
        return this.value(t.type, path, depth + 1);
      default:
        throw new EncodeError(`${path}: BTF kind ${Kind[t.kind]} (type id ${t.id}) has no value`);
    }
  }

  /** A struct or union: its named members, anonymous members flattened, unions checked. */
  #composite(id: number, path: string, depth: number): FieldWriter {
    const btf = this.#btf;
    const members = new Map<string, MemberWriter>();
    const unionNames: string[] = [];
    const what = this.#name(id);
    const collect = (cid: number, base: number, unions: [number, number][], level: number) => {
      if (level > MAX_DEPTH) {
        throw new EncodeError(`${path}: anonymous members nest too deep (cyclic BTF?)`);
      }
      const t = btf.composite(cid);
      let u = -1;
      if (t.kind === Kind.UNION) {
        u = unionNames.length;
        unionNames.push(level === 0 ? what : `the anonymous union in ${what}`);
      }
      t.members.forEach((m, i) => {
        const chain: [number, number][] = u < 0 ? unions : [...unions, [u, i]];
        const bit = base + m.bitOffset;
        if (m.name) {
          const w = this.#member(m.type, bit, m.bitSize, `${path}.${m.name}`, depth + 1);
          members.set(m.name, { write: w, unions: chain });
          return;
        }
        const r = btf.resolve(m.type);
        if (r.kind === Kind.STRUCT || r.kind === Kind.UNION) collect(r.id, bit, chain, level + 1);
        // An unnamed non-composite member is bitfield padding (`int :3;`): nothing to write.
      });
    };
    collect(id, 0, [], 0);
    return recordWriter(members, what, unionNames);
  }

  /** A member `bitOffset` bits into its composite, `bitSize` wide when it is a bitfield. */
  #member(id: number, bitOffset: number, bitSize: number, path: string, depth: number) {
    if (bitSize > 0 || bitOffset % 8 !== 0) return this.bitfield(id, bitOffset, bitSize, path);
    return shifted(this.value(id, path, depth), bitOffset / 8);
  }

  /**
   * A bitfield of integer, bool or enum type `bitOffset` bits after byte 0. `bitSize` 0 means
   * the width comes from the INT encoding (BTF without kind_flag) or the type's full size, as
   * the decoder reads it.
   */
  bitfield(id: number, bitOffset: number, bitSize: number, path: string): FieldWriter {
    const t = this.#btf.resolve(id);
    let width = bitSize;
    let pos = bitOffset;
    if (t.kind === Kind.INT) {
      if (!bitSize) {
        width = t.bits;
        pos += t.offset;
      }
    } else if (t.kind === Kind.ENUM || t.kind === Kind.ENUM64) {
      if (!bitSize) width = t.size * 8;
    } else {
      throw new EncodeError(
        `${path}: ${Kind[t.kind]} at bit offset ${bitOffset} is not byte-aligned`,
      );
    }
    if (width < 1) throw new EncodeError(`${path}: bitfield width ${width} is invalid`);
    const place = bitPlace(pos, width);
    const what = `a ${width}-bit bitfield of ${this.#name(id)}`;
    if (t.kind === Kind.INT && isBoolInt(t)) {
      return (v, _view, bytes, at) =>
        writeBits(bytes, at, place, bitsOf(toBoolBit(v, what), place));
    }
    const toRaw = t.kind === Kind.INT ? rawBits(width, t.signed, what) : enumBits(t, width, what);
    return (v, _view, bytes, at) => writeBits(bytes, at, place, toRaw(v));
  }

  /** An enum stored whole: an enumerator name or a number in the range of its size. */
  #enum(t: EnumType, what: string, path: string): FieldWriter {
    const bits = t.size * 8;
    const store = intStore(t.size, t.signed, path);
    const names = enumValues(t, bits);
    const [min, max] = intRange(bits, t.signed);
    const wide = bits > 32;
    return (v, view, bytes, at) => {
      let n: bigint;
      if (typeof v === "string") {
        const known = names.get(v);
        if (known === undefined) throw unknownEnumerator(v, t, what);
        n = known;
      } else if (typeof v === "number" || typeof v === "bigint") {
        n = toIntBigInt(v, min, max, what);
      } else {
        throw new FieldProblem(
          `expected an enumerator name or a number for ${what}, got ${describeValue(v)}`,
        );
      }
      store(view, bytes, at, wide ? n : Number(n));
    };
  }

  #name(id: number): string {
    try {
      return typeName(this.#btf, id);
    } catch {
      return `type id ${id}`;
    }
  }
}

/** `w` moved `offset` bytes further into the value. */
function shifted(w: FieldWriter, offset: number): FieldWriter {
  return offset === 0 ? w : (v, view, bytes, at) => w(v, view, bytes, at + offset);
}

/**
 * An object writer over named members: unknown names are refused with the known ones listed,
 * `undefined` members are skipped (left zero), and of each union at most one alternative may
 * be given. `unionNames[i]` names union `i` in messages.
 */
function recordWriter(
  members: Map<string, MemberWriter>,
  what: string,
  unionNames: string[],
): FieldWriter {
  const known = [...members.keys()].join(", ") || "none";
  const unionCount = unionNames.length;
  return (v, view, bytes, at) => {
    if (!isRecord(v)) {
      throw new FieldProblem(`expected an object for ${what}, got ${describeValue(v)}`);
    }
    // Per union: the alternative given so far and the member that gave it.
    const alt: number[] | undefined = unionCount ? new Array(unionCount) : undefined;
    const by: string[] | undefined = unionCount ? new Array(unionCount) : undefined;
    for (const k of Object.keys(v)) {
      const x = v[k];
      if (x === undefined) continue;
      const m = members.get(k);
      if (!m) throw new FieldProblem(`unknown member ${quote(k)} of ${what} (known: ${known})`);
      for (const [u, i] of m.unions) {
        if (alt![u] === undefined) {
          alt![u] = i;
          by![u] = k;
        } else if (alt![u] !== i) {
          throw new FieldProblem(
            `members ${quote(by![u])} and ${quote(k)} of ${unionNames[u]} both given; ` +
              `give at most one`,
          );
        }
      }
      try {
        m.write(x, view, bytes, at);
      } catch (e) {
        throw within(e, `.${k}`);
      }
    }
  };
}

/** Stores an already checked integer: a number up to 4 bytes, a bigint for 8 and 16. */
type IntStore = (view: DataView, bytes: Uint8Array, at: number, n: number | bigint) => void;

function intStore(size: number, signed: boolean, path: string): IntStore {
  switch (size) {
    case 1:
      return (_view, bytes, at, n) => (bytes[at] = n as number); // a Uint8Array wraps -1 to 255
    case 2:
      return signed
        ? (view, _bytes, at, n) => view.setInt16(at, n as number, true)
        : (view, _bytes, at, n) => view.setUint16(at, n as number, true);
    case 4:
      return signed
        ? (view, _bytes, at, n) => view.setInt32(at, n as number, true)
        : (view, _bytes, at, n) => view.setUint32(at, n as number, true);
    case 8:
      return signed
        ? (view, _bytes, at, n) => view.setBigInt64(at, n as bigint, true)
        : (view, _bytes, at, n) => view.setBigUint64(at, n as bigint, true);
    case 16:
      return (view, _bytes, at, n) => writeI128(view, at, n as bigint);
    default:
      throw new EncodeError(`${path}: ${size}-byte integers are not supported`);
  }
}

/** A whole integer of `size` bytes: a number or bigint, range-checked. */
function intWriter(size: number, signed: boolean, what: string, path: string): FieldWriter {
  const store = intStore(size, signed, path);
  const [min, max] = intRange(size * 8, signed);
  if (size <= 4) {
    const lo = Number(min), hi = Number(max);
    return (v, view, bytes, at) => store(view, bytes, at, toIntNumber(v, lo, hi, what));
  }
  return (v, view, bytes, at) => store(view, bytes, at, toIntBigInt(v, min, max, what));
}

/** A `_Bool` (or BOOL-encoded integer): `true`/`false` or 0/1 stored as 1/0. */
function boolWriter(size: number, what: string): FieldWriter {
  if (size === 1) return (v, _view, bytes, at) => (bytes[at] = toBoolBit(v, what));
  const store = intStore(size, false, what);
  return (v, view, bytes, at) => {
    const bit = toBoolBit(v, what);
    store(view, bytes, at, size > 4 ? BigInt(bit) : bit);
  };
}

/** `float`, `double`, `_Float16`: a number, rounded to the type; finite values must stay finite. */
function floatWriter(size: number, what: string, path: string): FieldWriter {
  const check = (v: unknown, rounded: (x: number) => number): number => {
    if (typeof v !== "number") {
      throw new FieldProblem(`expected a number for ${what}, got ${describeValue(v)}`);
    }
    if (Number.isFinite(v) && !Number.isFinite(rounded(v))) {
      throw new FieldProblem(`${v} is out of range for ${what}`);
    }
    return v;
  };
  const id = (x: number) => x;
  switch (size) {
    case 2:
      return (v, view, _bytes, at) => writeF16(view, at, check(v, f16Value));
    case 4:
      return (v, view, _bytes, at) => view.setFloat32(at, check(v, Math.fround), true);
    case 8:
      return (v, view, _bytes, at) => view.setFloat64(at, check(v, id), true);
    default:
      throw new EncodeError(`${path}: ${size}-byte float \`${what}\` is not supported`);
  }
}

/** Infinity when `x` overflows `_Float16`, else `x` (only finiteness matters to the caller). */
function f16Value(x: number): number {
  return Math.abs(x) >= 65520 ? Infinity : x;
}

/**
 * `char[N]`: a string written as UTF-8 followed by a NUL, so it must take at most N - 1 bytes
 * and contain no NUL itself (the decoder would stop there); or a `Uint8Array` of at most N
 * raw bytes.
 */
function charArrayWriter(count: number, what: string): FieldWriter {
  const utf8 = new TextEncoder();
  return (v, _view, bytes, at) => {
    if (typeof v === "string") {
      const n = v.length;
      if (n < count) {
        // ASCII without NUL is the common case: store char codes directly.
        let i = 0;
        for (; i < n; i++) {
          const c = v.charCodeAt(i);
          if (c === 0 || c >= 0x80) break;
          bytes[at + i] = c;
        }
        if (i === n) return;
      }
      const u = utf8.encode(v);
      if (u.includes(0)) {
        throw new FieldProblem(`${quote(v)} contains a NUL character; ${what} holds a C string`);
      }
      if (u.length >= count && u.length > 0) {
        throw new FieldProblem(
          `${quote(v)} is ${plural(u.length, "byte")} in UTF-8; ${what} holds at most ${
            Math.max(0, count - 1)
          } and the NUL`,
        );
      }
      bytes.set(u, at);
      return;
    }
    if (v instanceof Uint8Array) {
      if (v.length > count) {
        throw new FieldProblem(`a Uint8Array of ${plural(v.length, "byte")} does not fit ${what}`);
      }
      bytes.set(v, at);
      return;
    }
    throw new FieldProblem(`expected a string for ${what}, got ${describeValue(v)}`);
  };
}

/** Other arrays: an array (or typed array) of at most `count` elements; the rest stay zero. */
function arrayWriter(elem: FieldWriter, count: number, stride: number, what: string): FieldWriter {
  return (v, view, bytes, at) => {
    if (!isArrayLike(v)) {
      throw new FieldProblem(`expected an array for ${what}, got ${describeValue(v)}`);
    }
    const n = v.length;
    if (n > count) throw new FieldProblem(`${plural(n, "element")} given; ${what} holds ${count}`);
    for (let i = 0; i < n; i++) {
      const x = v[i];
      if (x === undefined) continue; // a hole: left zero
      try {
        elem(x, view, bytes, at + i * stride);
      } catch (e) {
        throw within(e, `[${i}]`);
      }
    }
  };
}

/** An integer bitfield value → its raw unsigned bits (number up to 32 bits, else bigint). */
function rawBits(width: number, signed: boolean, what: string): (v: unknown) => number | bigint {
  const [min, max] = intRange(width, signed);
  if (width <= 32) {
    const lo = Number(min), hi = Number(max), span = 2 ** width;
    return (v) => {
      const n = toIntNumber(v, lo, hi, what);
      return n < 0 ? n + span : n;
    };
  }
  return (v) => BigInt.asUintN(width, toIntBigInt(v, min, max, what));
}

/**
 * An enum bitfield value → its raw bits: a name gives its enumerator truncated to the width
 * (as a C assignment does, and as the decoder matches names), a number must fit the width.
 */
function enumBits(t: EnumType, width: number, what: string): (v: unknown) => number | bigint {
  const names = enumValues(t, width);
  const fromNumber = rawBits(width, t.signed, what);
  const big = width > 32;
  return (v) => {
    if (typeof v === "string") {
      const n = names.get(v);
      if (n === undefined) throw unknownEnumerator(v, t, what);
      const raw = BigInt.asUintN(width, n);
      return big ? raw : Number(raw);
    }
    if (typeof v === "number" || typeof v === "bigint") return fromNumber(v);
    throw new FieldProblem(
      `expected an enumerator name or a number for ${what}, got ${describeValue(v)}`,
    );
  };
}

/** `bit` (0 or 1) as the raw value of a bitfield at `place`. */
function bitsOf(bit: 0 | 1, place: BitPlace): number | bigint {
  return place.width > 32 ? BigInt(bit) : bit;
}

/** Enumerator name → value, read back as `bits` wide with the enum's signedness. */
function enumValues(t: EnumType, bits: number): Map<string, bigint> {
  const out = new Map<string, bigint>();
  for (const e of t.values) {
    const u = BigInt.asUintN(bits, BigInt(e.value));
    out.set(e.name, t.signed ? BigInt.asIntN(bits, u) : u);
  }
  return out;
}

function unknownEnumerator(v: string, t: EnumType, what: string): FieldProblem {
  const names = t.values.map((e) => e.name);
  const listed = names.slice(0, LISTED_NAMES).join(", ");
  const more = names.length > LISTED_NAMES ? `, and ${names.length - LISTED_NAMES} more` : "";
  return new FieldProblem(
    `${quote(v)} is not an enumerator of ${what} (known: ${listed || "none"}${more})`,
  );
}

/** `n thing` or `n things`. */
function plural(n: number, thing: string): string {
  return `${n} ${thing}${n === 1 ? "" : "s"}`;
}
