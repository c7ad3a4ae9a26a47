/**
 * `--filter` in the kernel: an expression that is only comparisons between integer fields
 * (`e.pid`, `e.ret`) and integer literals, joined by `&&`, `||`, `!` and parentheses, becomes
 * a C condition in the generated program, so events that fail it are never submitted.
 * Anything else (strings, calls, arithmetic) stays a TypeScript filter in user space.
 * @module
 */
import { TraceError } from "./errors.ts";
import type { IntType } from "./fields.ts";

type Token = { t: "field"; name: string } | { t: "int"; value: bigint } | { t: "op"; op: string };

const OPS = ["===", "!==", "==", "!=", "<=", ">=", "&&", "||", "<", ">", "!", "(", ")"];

/** The tokens of `text`, or undefined when it holds anything but fields, integers and operators. */
function tokenize(text: string): Token[] | undefined {
  const out: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const rest = text.slice(i);
    const space = /^\s+/.exec(rest);
    if (space) {
      i += space[0].length;
      continue;
    }
    const field = /^e\.([A-Za-z_]\w*)(?![\w.(\[])/.exec(rest);
    if (field) {
      out.push({ t: "field", name: field[1] });
      i += field[0].length;
      continue;
    }
    const num = /^(-?)(0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|\d+)n?(?![\w.])/.exec(rest);
    if (num && (num[1] === "" || out.length === 0 || out.at(-1)!.t === "op")) {
      const v = BigInt(num[2]);
      out.push({ t: "int", value: num[1] ? -v : v });
      i += num[0].length;
      continue;
    }
    const op = OPS.find((o) => rest.startsWith(o));
    if (!op) return undefined;
    out.push({ t: "op", op });
    i += op.length;
  }
  return out;
}

/** What the in-kernel filter needs to know of the event's fields. */
export interface FilterFields {
  /** Integer fields by name, with their C types. */
  ints: Map<string, IntType>;
  /** Every field name (to tell an unknown field from a string one). */
  all: string[];
}

const COMPARE: Record<string, string> = {
  "==": "==",
  "===": "==",
  "!=": "!=",
  "!==": "!=",
  "<": "<",
  "<=": "<=",
  ">": ">",
  ">=": ">=",
};

const MAX: Record<string, bigint> = {
  8: 0xffn,
  16: 0xffffn,
  32: 0xffffffffn,
  64: (1n << 64n) - 1n,
};

/** `v` as a C literal for a comparison with a field of type `type`; undefined out of range. */
function literal(v: bigint, type: IntType): string | undefined {
  const bits = type.slice(1);
  if (type[0] === "u") return v < 0n || v > MAX[bits] ? undefined : `${v}ULL`;
  const half = (MAX[bits] + 1n) / 2n;
  if (v < -half || v >= half) return undefined;
  // -2^63 has no literal of its own in C.
  return v === -(1n << 63n) ? "(-9223372036854775807LL - 1)" : `${v}LL`;
}

/**
 * The C condition (over `e->FIELD`) of a `--filter` expression, or undefined when it must be
 * filtered in TypeScript. `TraceError` when it names a field the events do not have.
 */
export function kernelFilter(expr: string, fields: FilterFields): string | undefined {
  for (const m of expr.matchAll(/(?<![\w.$])e\.([A-Za-z_]\w*)/g)) {
    if (!fields.all.includes(m[1])) {
      throw new TraceError(
        `--filter: unknown field '${m[1]}' (the events have: ${fields.all.join(", ")})`,
      );
    }
  }
  const tokens = tokenize(expr);
  if (!tokens || tokens.length === 0) return undefined;
  let pos = 0;
  const peekOp = (op: string) => {
    const t = tokens[pos];
    return t?.t === "op" && t.op === op;
  };
  const operand = (): Token | undefined => {
    const t = tokens[pos];
    return t && t.t !== "op" ? (pos++, t) : undefined;
  };
  const compare = (): string | undefined => {
    const a = operand();
    const opTok = tokens[pos];
    if (!a || opTok?.t !== "op" || !(opTok.op in COMPARE)) return undefined;
    pos++;
    const b = operand();
    if (!b) return undefined;
    const side = (x: Token, other: Token): string | undefined => {
      if (x.t === "field") {
        return fields.ints.has(x.name) ? `e->${x.name}` : undefined;
      }
      if (x.t !== "int") return undefined;
      if (other.t !== "field") return undefined;
      const type = fields.ints.get(other.name);
      return type && literal(x.value, type);
    };
    const l = side(a, b);
    const r = side(b, a);
    if (!l || !r) return undefined;
    // Two fields of different signedness compare as C would not: leave that to TypeScript.
    if (a.t === "field" && b.t === "field") {
      if (fields.ints.get(a.name)![0] !== fields.ints.get(b.name)![0]) return undefined;
    }
    return `${l} ${COMPARE[opTok.op]} ${r}`;
  };
  const unary = (): string | undefined => {
    if (peekOp("!")) {
      pos++;
      const inner = unary();
      return inner && `!(${inner})`;
    }
    if (peekOp("(")) {
      pos++;
      const inner = or();
      if (!inner || !peekOp(")")) return undefined;
      pos++;
      return `(${inner})`;
    }
    return compare();
  };
  const chain = (op: string, next: () => string | undefined) => (): string | undefined => {
    let left = next();
    while (left && peekOp(op)) {
      pos++;
      const right = next();
      left = right && `${left} ${op} ${right}`;
    }
    return left;
  };
  const and = chain("&&", unary);
  const or = chain("||", and);
  const c = or();
  return c && pos === tokens.length ? c : undefined;
}
