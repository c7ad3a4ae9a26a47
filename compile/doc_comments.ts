/**
 * Doc-comment metadata of an eBPF C source (`/// @cmdarg {...}`, `/// @sample {...}`, …),
 * read with a small C scanner instead of libclang so that `ecc` needs only the clang executable.
 *
 * @module
 */

/** Metadata parsed from one doc comment: keys like description, cmdarg, sample, tchook, brief… */
export type DocFields = Record<string, unknown>;

/** The doc comments of one source file, keyed by the top-level names they document. */
export interface SourceDocs {
  /**
   * Doc of each top-level declaration by declared name: global variables, BTF-defined maps
   * (`struct {...} rb SEC(".maps");` → "rb"), functions (including macro-defined BPF programs:
   * `int BPF_PROG(handle_exec, ...)`, `int BPF_KPROBE(do_unlinkat, ...)`, `BPF_KRETPROBE`,
   * `BPF_KSYSCALL`, `BPF_UPROBE`, `BPF_URETPROBE`, `BPF_USDT`, `BPF_PROG2` … → the macro's
   * first argument).
   */
  byName: Map<string, DocFields>;
  /** The doc above `LICENSE` (upstream's `bpf_skel.doc`), if any. */
  license?: DocFields;
}

/**
 * Parses the doc comments (`///` and `//!` lines, block comments opening with `/**` or `/*!`)
 * attached to the top-level declarations of a C source. A comment attaches to the declaration
 * right after it (only whitespace between); Doxygen trailing comments (`///<`, `/**<`) attach
 * to the declaration that ends on their line.
 */
export function parseDocComments(source: string): SourceDocs {
  const byName = new Map<string, DocFields>();
  for (const decl of splitDeclarations(lexC(source))) {
    if (!decl.doc && !decl.trailing) continue;
    const lines = [...decl.doc?.lines ?? [], "", ...decl.trailing?.lines ?? []];
    for (const name of declaredNames(decl)) {
      // A prototype and its definition may both carry docs: later keys win.
      byName.set(name, Object.assign(byName.get(name) ?? {}, parseDocText(lines)));
    }
  }
  const license = byName.get("LICENSE");
  return license ? { byName, license } : { byName };
}

// ---------------------------------------------------------------------------------------------
// Doc text → fields

/** Doxygen block commands: their value is the raw text, lines joined with "\n". */
const BLOCK_COMMANDS = new Set([
  "brief",
  "short",
  "details",
  "version",
  "since",
  "author",
  "authors",
  "note",
  "warning",
  "date",
  "copyright",
  "remark",
  "remarks",
  "see",
  "sa",
  "todo",
  "deprecated",
  "pre",
  "post",
  "invariant",
  "return",
  "returns",
  "result",
  "par",
]);

/** `@name` / `\name` at the start of a line or after whitespace (so `a@b.c` is not a command). */
const COMMAND = /(?<=^|\s)[@\\]([A-Za-z0-9_]+)/g;

interface Segment {
  /** The command the text belongs to; undefined for free text (the description). */
  command?: string;
  lines: string[];
}

function parseDocText(lines: string[]): DocFields {
  const fields: DocFields = {};
  for (const paragraph of paragraphs(lines)) {
    for (const segment of splitCommands(paragraph)) applySegment(fields, segment);
  }
  return fields;
}

/** Groups lines into paragraphs separated by blank lines; a blank line ends every command. */
function paragraphs(lines: string[]): string[][] {
  const out: string[][] = [];
  let current: string[] = [];
  for (const line of lines) {
    if (line.trim() === "") {
      if (current.length) out.push(current);
      current = [];
    } else current.push(line);
  }
  if (current.length) out.push(current);
  return out;
}

/** Cuts a paragraph at each command; text before the first command is free text. */
function splitCommands(paragraph: string[]): Segment[] {
  let current: Segment = { lines: [] };
  const segments = [current];
  for (const line of paragraph) {
    let pos = 0;
    for (const m of line.matchAll(COMMAND)) {
      current.lines.push(line.slice(pos, m.index));
      current = { command: m[1], lines: [] };
      segments.push(current);
      pos = m.index + m[0].length;
    }
    current.lines.push(line.slice(pos));
  }
  return segments;
}

function applySegment(fields: DocFields, { command, lines }: Segment): void {
  if (command !== undefined && BLOCK_COMMANDS.has(command)) {
    // Upstream keeps the raw lines (inner lines keep their leading spaces).
    const text = lines.join("\n").trim();
    if (text) setField(fields, command, text);
    return;
  }
  const text = lines.map((l) => l.trim()).filter((l) => l).join(" ");
  if (!text) return;
  if (command === undefined) {
    const before = fields.description;
    setField(fields, "description", typeof before === "string" ? `${before}\n${text}` : text);
  } else if (command === "description") {
    setField(fields, command, text);
  } else {
    setField(fields, command, parseJsonOrString(text));
  }
}

function parseJsonOrString(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** Plain assignment would let a `@__proto__` command replace the object's prototype. */
function setField(fields: DocFields, key: string, value: unknown): void {
  Object.defineProperty(fields, key, {
    value,
    enumerable: true,
    writable: true,
    configurable: true,
  });
}

// ---------------------------------------------------------------------------------------------
// Lexer: just enough C to find top-level declarations and the comments between them

type TokenKind =
  | "ident"
  | "punct"
  | "literal"
  /** a doc comment that documents what follows */
  | "doc"
  /** `///<` or `/**<`: documents the declaration it follows */
  | "trailing-doc"
  /** plain comments and preprocessor directives: they separate a doc from a declaration */
  | "noise";

interface Token {
  kind: TokenKind;
  text: string;
  line: number;
  endLine: number;
  /** Comment text lines (doc kinds only). */
  lines?: string[];
  /** A `//`-style doc comment, which merges with one on the next line. */
  lineComment?: boolean;
}

function lexC(source: string): Token[] {
  const tokens: Token[] = [];
  const n = source.length;
  let i = 0;
  let line = 1;
  let atLineStart = true;
  const push = (kind: TokenKind, end: number, extra: Partial<Token> = {}) => {
    const text = source.slice(i, end);
    const endLine = line + countNewlines(text);
    tokens.push({ kind, text, line, endLine, ...extra });
    line = endLine;
    i = end;
  };
  while (i < n) {
    const c = source[i];
    const next = source[i + 1];
    if (c === "\n") {
      line++;
      atLineStart = true;
      i++;
    } else if (c === " " || c === "\t" || c === "\r" || c === "\f" || c === "\v") {
      i++;
    } else if (c === "\\" && spliceLength(source, i)) {
      i += spliceLength(source, i);
      line++;
    } else if (c === "/" && next === "/") {
      const end = endOfLineComment(source, i);
      const raw = source.slice(i, end).replace(/\r$/, "");
      const kind = lineCommentKind(raw);
      const text = raw.slice(kind === "trailing-doc" ? 4 : 3);
      const prev = tokens.at(-1);
      if (
        kind !== "noise" && prev?.kind === kind && prev.lineComment && prev.endLine === line - 1
      ) {
        // Consecutive doc line comments form one block.
        prev.lines!.push(text);
        prev.endLine = line;
        i = end;
      } else {
        push(kind, end, kind === "noise" ? {} : { lines: [text], lineComment: true });
      }
    } else if (c === "/" && next === "*") {
      const end = endOfBlockComment(source, i);
      const raw = source.slice(i, end);
      const kind = blockCommentKind(raw);
      push(kind, end, kind === "noise" ? {} : { lines: blockCommentLines(raw, kind) });
    } else if (c === "#" && atLineStart) {
      push("noise", endOfDirective(source, i));
    } else {
      atLineStart = false;
      if (c === '"' || c === "'") push("literal", endOfQuoted(source, i, c));
      else if (/[A-Za-z_$]/.test(c)) push("ident", scanWhile(source, i, /[A-Za-z0-9_$]/));
      else if (/[0-9]/.test(c) || (c === "." && /[0-9]/.test(next ?? ""))) {
        push("literal", endOfNumber(source, i));
      } else push("punct", i + 1);
    }
  }
  return tokens;
}

function countNewlines(text: string): number {
  let count = 0;
  for (let at = text.indexOf("\n"); at >= 0; at = text.indexOf("\n", at + 1)) count++;
  return count;
}

/** Length of a backslash-newline line splice at `i`, or 0. */
function spliceLength(source: string, i: number): number {
  if (source[i] !== "\\") return 0;
  if (source[i + 1] === "\n") return 2;
  return source[i + 1] === "\r" && source[i + 2] === "\n" ? 3 : 0;
}

function scanWhile(source: string, i: number, pattern: RegExp): number {
  while (i < source.length && pattern.test(source[i])) i++;
  return i;
}

/** A pp-number: digits, letters, dots, and a sign right after an exponent letter. */
function endOfNumber(source: string, i: number): number {
  let j = i + 1;
  while (j < source.length) {
    const ch = source[j];
    if (/[0-9A-Za-z_.']/.test(ch)) j++;
    else if ((ch === "+" || ch === "-") && /[eEpP]/.test(source[j - 1])) j++;
    else break;
  }
  return j;
}

/** The newline ending a `//` comment (a line splice continues it). */
function endOfLineComment(source: string, i: number): number {
  let j = i + 2;
  while (j < source.length && source[j] !== "\n") j += spliceLength(source, j) || 1;
  return j;
}

function endOfBlockComment(source: string, i: number): number {
  const close = source.indexOf("*/", i + 2);
  return close < 0 ? source.length : close + 2;
}

/** End of a string or char literal; an unterminated one stops at the end of its line. */
function endOfQuoted(source: string, i: number, quote: string): number {
  let j = i + 1;
  while (j < source.length) {
    const ch = source[j];
    if (ch === "\\") j += spliceLength(source, j) || 2;
    else if (ch === quote) return j + 1;
    else if (ch === "\n") return j;
    else j++;
  }
  return source.length;
}

/** End of a preprocessor directive: its logical line, where a block comment may span lines. */
function endOfDirective(source: string, i: number): number {
  let j = i + 1;
  while (j < source.length && source[j] !== "\n") {
    const ch = source[j];
    if (spliceLength(source, j)) j += spliceLength(source, j);
    else if (ch === "/" && source[j + 1] === "*") j = endOfBlockComment(source, j);
    else if (ch === "/" && source[j + 1] === "/") j = endOfLineComment(source, j);
    // Quotes are skipped so that `"/*"` opens no comment; `#error don't` ends at the newline.
    else if (ch === '"' || ch === "'") j = endOfQuoted(source, j, ch);
    else j++;
  }
  return j;
}

function lineCommentKind(raw: string): TokenKind {
  if (raw.startsWith("///<") || raw.startsWith("//!<")) return "trailing-doc";
  // `////…` is a separator line, not a doc comment (as in Doxygen).
  if ((raw.startsWith("///") && raw[3] !== "/") || raw.startsWith("//!")) return "doc";
  return "noise";
}

function blockCommentKind(raw: string): TokenKind {
  if (!raw.endsWith("*/") || raw.length < 5) return "noise"; // unterminated, or `/**/`
  if (raw.startsWith("/**<") || raw.startsWith("/*!<")) return "trailing-doc";
  // `/***…` is a banner, not a doc comment.
  if ((raw.startsWith("/**") && raw[3] !== "*") || raw.startsWith("/*!")) return "doc";
  return "noise";
}

/** Text lines of a block comment without the marker and each line's leading `*` decoration. */
function blockCommentLines(raw: string, kind: TokenKind): string[] {
  const body = raw.slice(kind === "trailing-doc" ? 4 : 3, -2);
  return body.split("\n").map((l, index) => {
    const line = l.replace(/\r$/, "");
    return index === 0 ? line : line.replace(/^\s*\*+ ?/, "");
  });
}

// ---------------------------------------------------------------------------------------------
// Top-level declarations

interface Declaration {
  /** Code tokens (comments and directives inside are left out). */
  tokens: Token[];
  /** The doc comment right before the declaration. */
  doc?: Token;
  /** A trailing doc comment on the declaration's last line. */
  trailing?: Token;
  /** Ends with a function body rather than `;`. */
  isFunction: boolean;
}

const CLOSER_OF: Record<string, string> = { "(": ")", "[": "]", "{": "}" };
const OPENER_OF: Record<string, string> = { ")": "(", "]": "[", "}": "{" };

/** Cuts the token stream into top-level declarations and pairs each with its doc comments. */
function splitDeclarations(tokens: Token[]): Declaration[] {
  const decls: Declaration[] = [];
  let pending: Token | undefined;
  let current: Declaration | undefined;
  let stack: number[] = []; // indices in current.tokens of the open brackets
  const openerAt = new Map<number, number>(); // closing bracket index → opening bracket index
  let last: { decl: Declaration; endIndex: number } | undefined;
  const finish = (endIndex: number) => {
    decls.push(current!);
    last = { decl: current!, endIndex };
    current = undefined;
  };
  for (let i = 0; i < tokens.length; i++) {
    const tok = tokens[i];
    if (!current) {
      if (tok.kind === "doc") {
        pending = tok; // a later doc block replaces an earlier one
        continue;
      }
      if (tok.kind === "trailing-doc") {
        if (last?.endIndex === i - 1 && tok.line === tokens[i - 1].endLine) {
          last.decl.trailing = tok;
        }
        pending = undefined;
        continue;
      }
      if (tok.kind === "noise" || (tok.kind === "punct" && /[;)\]}]/.test(tok.text))) {
        pending = undefined; // an empty declaration or a stray closer
        continue;
      }
      current = { tokens: [], doc: pending, isFunction: false };
      pending = undefined;
      stack = [];
      openerAt.clear();
    }
    if (tok.kind !== "ident" && tok.kind !== "punct" && tok.kind !== "literal") continue;
    const k = current.tokens.push(tok) - 1;
    if (tok.kind !== "punct") continue;
    if (CLOSER_OF[tok.text]) {
      if (tok.text === "{" && !stack.length && opensFunctionBody(current.tokens, k, openerAt)) {
        current.isFunction = true;
      }
      stack.push(k);
    } else if (OPENER_OF[tok.text]) {
      const at = stack.findLastIndex((s) => current!.tokens[s].text === OPENER_OF[tok.text]);
      if (at < 0) continue; // unbalanced, e.g. from a macro: ignore it
      openerAt.set(k, stack[at]);
      stack.length = at;
      if (!stack.length && tok.text === "}" && current.isFunction) finish(i);
    } else if (tok.text === ";" && !stack.length) {
      finish(i);
    }
  }
  if (current) decls.push(current);
  return decls;
}

/** A `{` right after a parameter list `name(...)` (not `__attribute__((...))`) is a body. */
function opensFunctionBody(tokens: Token[], k: number, openerAt: Map<number, number>): boolean {
  if (tokens[k - 1]?.text !== ")") return false;
  const before = tokens[openerAt.get(k - 1)! - 1];
  if (!before) return false;
  // `)` before the list: a function returning a function pointer, `int (*f(void))(int) {`.
  return (before.kind === "ident" && !DECORATIONS_WITH_ARGS.has(before.text)) ||
    before.text === ")";
}

/** A token at bracket depth 0 of a declaration, or a bracketed group with its inner tokens. */
type Item = { tok: Token } | { open: string; inner: Token[] };

/** Groups tokens by their depth-0 brackets. */
function items(tokens: Token[]): Item[] {
  const out: Item[] = [];
  let depth = 0;
  let group: { open: string; inner: Token[] } | undefined;
  for (const tok of tokens) {
    const t = tok.kind === "punct" ? tok.text : "";
    if (depth === 0) {
      if (CLOSER_OF[t]) {
        group = { open: t, inner: [] };
        out.push(group);
        depth = 1;
      } else out.push({ tok });
      continue;
    }
    if (CLOSER_OF[t]) depth++;
    else if (OPENER_OF[t]) depth--;
    if (depth > 0) group!.inner.push(tok);
  }
  return out;
}

/** Decorations that take an argument list and never name anything. */
const DECORATIONS_WITH_ARGS = new Set([
  "SEC",
  "__attribute__",
  "__attribute",
  "__declspec",
  "__aligned",
  "__section",
  "_Alignas",
  "asm",
  "__asm",
  "__asm__",
  "typeof",
  "__typeof",
  "__typeof__",
  "_Static_assert",
  "static_assert",
]);

/** Attribute macros from libbpf and kernel headers that may follow a declared name. */
const BARE_DECORATIONS = new Set([
  "__ksym",
  "__kconfig",
  "__weak",
  "__hidden",
  "__always_inline",
  "__noinline",
  "__maybe_unused",
  "__unused",
  "__packed",
  "__kptr",
  "__kptr_untrusted",
  "__kptr_ref",
  "__percpu_kptr",
  "__rcu",
  "__user",
  "__arena",
  "__uptr",
]);

const TAG_KEYWORDS = new Set(["struct", "union", "enum"]);

/** Keywords and builtin type words, which are never declared names. */
const KEYWORDS = new Set([
  ..."auto break case char const continue default do double else enum extern float for goto if"
    .split(" "),
  ..."inline int long register restrict return short signed sizeof static struct switch typedef"
    .split(" "),
  ..."union unsigned void volatile while bool _Bool _Complex _Atomic _Noreturn _Thread_local"
    .split(" "),
  ..."__inline __inline__ __restrict __restrict__ __volatile__ __const __const__ __signed__"
    .split(" "),
  ..."__extension__ __thread __auto_type __int128 __builtin_va_list".split(" "),
]);

function stripDecorations(list: Item[]): Item[] {
  const out: Item[] = [];
  for (let i = 0; i < list.length; i++) {
    const item = list[i];
    if ("tok" in item && item.tok.kind === "ident") {
      if (BARE_DECORATIONS.has(item.tok.text)) continue;
      if (DECORATIONS_WITH_ARGS.has(item.tok.text)) {
        const args = list[i + 1];
        if (args && "open" in args && args.open === "(") i++;
        continue;
      }
    }
    out.push(item);
  }
  return out;
}

/** The names a declaration declares: its declarators, or the function it defines. */
function declaredNames(decl: Declaration): string[] {
  const list = stripDecorations(items(decl.tokens));
  if (decl.isFunction) {
    const name = declaratorName(list.slice(0, list.findLastIndex(isBraceGroup)));
    return name ? [name] : [];
  }
  const names: string[] = [];
  for (const declarator of splitAtCommas(list)) {
    let part = declarator;
    const init = part.findIndex((item) => "tok" in item && item.tok.text === "=");
    if (init >= 0) part = part.slice(0, init);
    // `struct {...} rb`: the name follows the body; `struct x {...};` declares no variable.
    part = part.slice(part.findLastIndex(isBraceGroup) + 1);
    const name = declaratorName(part);
    if (name) names.push(name);
  }
  return names;
}

function isBraceGroup(item: Item): boolean {
  return "open" in item && item.open === "{";
}

function splitAtCommas(list: Item[]): Item[][] {
  const out: Item[][] = [[]];
  for (const item of list) {
    if ("tok" in item && item.tok.kind === "punct" && item.tok.text === ",") out.push([]);
    else out.at(-1)!.push(item);
  }
  return out;
}

/**
 * The identifier a declarator declares: the last non-keyword identifier before an array
 * suffix, or before a parameter list (a function, or the first argument of an all-caps
 * macro such as `BPF_KPROBE(name, ...)`), or inside a parenthesized declarator (`(*fp)`).
 */
function declaratorName(list: Item[]): string | undefined {
  let candidate: string | undefined;
  let prevIsCandidate = false;
  let afterTagKeyword = false;
  for (const item of list) {
    if ("tok" in item) {
      const { kind, text } = item.tok;
      prevIsCandidate = false;
      if (kind !== "ident") afterTagKeyword = false;
      else if (afterTagKeyword) afterTagKeyword = false; // a struct/union/enum tag
      else if (TAG_KEYWORDS.has(text)) afterTagKeyword = true;
      else if (!KEYWORDS.has(text)) {
        candidate = text;
        prevIsCandidate = true;
      }
      continue;
    }
    if (item.open === "[") return candidate;
    if (item.open !== "(") continue;
    const first = item.inner[0];
    if (prevIsCandidate && first?.text !== "*") return macroArgumentName(candidate!, first);
    return declaratorName(stripDecorations(items(item.inner))) ?? candidate;
  }
  return candidate;
}

/** `BPF_PROG(handle_exec, ...)` declares `handle_exec`; `foo(void)` declares `foo`. */
function macroArgumentName(name: string, firstArg: Token | undefined): string {
  const isMacro = /^[A-Z][A-Z0-9_]*$/.test(name);
  if (isMacro && firstArg?.kind === "ident" && !KEYWORDS.has(firstArg.text)) return firstArg.text;
  return name;
}
