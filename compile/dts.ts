/**
 * `<name>.d.ts`: the TypeScript types of what `ecli run --handler` gives a handler of one
 * package (decoded events, sampled map entries, program flags, map handles), so that a handler
 * type-checks against the program it runs with. The types follow `lib/decode` exactly (64-bit
 * integers are bigint, `char[N]` is a string, enums are enumerator names, …); fixed-length
 * arrays are tuples while they read on one line (`[number, number]`, up to 16 elements and 64
 * characters), else `T[]`. The file imports nothing: users keep it next to their handler.
 * @module
 */
import { type ProgramFlag, programFlags, switchName } from "../lib/args/flags.ts";
import {
  type Btf,
  type BtfType,
  type EnumType,
  isBoolInt,
  isTextChar,
  Kind,
  typeName,
} from "../lib/btf/mod.ts";
import { structFields } from "../lib/decode/fields.ts";
import type { MapMeta, Meta } from "../lib/package/schema.ts";
import { mapKeyValueTypes, MapType } from "../lib/run/exports.ts";

/** Options of `renderDts`. */
export interface DtsOptions {
  /** The file's own name (`procsnoop.d.ts`), for the usage example in its header. */
  fileName?: string;
}

/** Lines stay within `deno fmt`'s default width, so the output is already formatted. */
const WIDTH = 80;
/** Arrays up to this many elements whose tuple type fits `TUPLE_WIDTH` are tuples, others `T[]`. */
const TUPLE_MAX = 16;
const TUPLE_WIDTH = 64;
/** Nesting deeper than this is taken as a cyclic type graph (the decoder refuses it too). */
const MAX_DEPTH = 32;

/**
 * Names the file declares itself (or refers to from the global scope); a C type whose
 * PascalCase name is one of these gets a suffix. `Event` goes to the event struct only when it
 * is the handler's single event type.
 */
const RESERVED = [
  "Event",
  "Sample",
  "Args",
  "Maps",
  "Context",
  "Handler",
  "HandlerHooks",
  "EventFunction",
  "EventView",
  "EventBatch",
  "View",
  "MapHandle",
  "SampleEntry",
  "ShellResult",
  "Record",
  "IterableIterator",
  "Symbol",
];

/** A TypeScript type, before layout. */
type TsType =
  /** A name or keyword: `number`, `Event`, `MapHandle<number, bigint>`. */
  | { kind: "ref"; text: string }
  /** A union of names and literals (never spans objects). */
  | { kind: "union"; items: string[] }
  | { kind: "tuple"; items: TsType[] }
  | { kind: "array"; item: TsType }
  /** An object type with at least one member. */
  | { kind: "object"; members: TsMember[] };

interface TsMember {
  key: string;
  type: TsType;
  doc: string[];
  readonly: boolean;
}

const ref = (text: string): TsType => ({ kind: "ref", text });
const UNKNOWN = ref("unknown");
const EMPTY_OBJECT = "Record<string, never>";

/**
 * The `.d.ts` text for a package: an interface per export type and per named struct they use,
 * `Event` (what the `event` hook gets), `Sample` (entries of the `sample` hook) with per-map
 * `<Map>Key`/`<Map>Value`, `Args` (`ctx.args`), `Maps` (`ctx.maps`) and the handler shapes of
 * `lib/handler/types.ts` specialised to them: `Context`, `HandlerHooks`, `EventFunction`,
 * `Handler`. The text is as `deno fmt` would leave it. `meta` may also be ecc's own, before
 * validation: missing lists and defaults are read as the schema's defaults.
 */
export function renderDts(meta: Meta, btf: Btf, options: DtsOptions = {}): string {
  meta = withDefaults(meta);
  const w = new DtsWriter(btf);
  const sources = handlerSources(meta, btf);

  // Every export type gets its interface; the single event struct named `event` is `Event`.
  const only = sources.events.length === 1 ? btf.types[sources.events[0]] : undefined;
  if (only && isComposite(btf.resolve(only.id)) && pascal(declName(btf, only.id)) === "Event") {
    w.nameAs(btf.resolve(only.id).id, "Event");
  }
  for (const t of meta.export_types) {
    if (btf.types[t.type_id]) w.type(t.type_id);
  }
  const events = unique(sources.events.map((id) => w.named(w.type(id), "EventType", id)));
  if (!(events.length === 1 && events[0] === "Event")) {
    const doc = events.length
      ? "What the `event` hook gets."
      : "No ring or perf buffer is read: the `event` hook is never called.";
    w.block([doc], alias("Event", events.length ? { kind: "union", items: events } : ref("never")));
  }

  // Every sampled map gets `<Map>Key`/`<Map>Value`, even one that ecli does not read.
  const kv = new Map<string, { key: string; value: string }>();
  for (const m of meta.bpf_skel.maps) {
    if (m.sample && !kv.has(m.name)) {
      kv.set(m.name, w.mapAliases(m.name, mapKeyValueTypes(btf, m.name)));
    }
  }
  const entries = unique(sources.samples.map((m) => {
    const names = kv.get(m.name)!;
    return `SampleEntry<${names.key}, ${names.value}>`;
  }));
  const sampleDoc = entries.length
    ? "One entry of a sampled map, as the `sample` hook gets it."
    : "No sampled map is read: the `sample` hook is never called.";
  w.block(
    [sampleDoc],
    alias("Sample", entries.length ? { kind: "union", items: entries } : ref("never")),
  );

  w.args(meta);
  w.maps(meta.bpf_skel.maps, kv);
  return [header(meta, options), ...w.blocks, SHAPES].join("\n\n") + "\n";
}

/** `meta` with the schema defaults `renderDts` relies on (ecc's meta leaves them out). */
function withDefaults(meta: Meta): Meta {
  const maps = (meta.bpf_skel.maps ?? []).map((m) => ({
    ...m,
    export_config: m.export_config ?? "no_export",
  }));
  return {
    ...meta,
    bpf_skel: { ...meta.bpf_skel, data_sections: meta.bpf_skel.data_sections ?? [], maps },
    export_types: meta.export_types ?? [],
    enable_multiple_export_types: meta.enable_multiple_export_types ?? false,
  };
}

/** Which types reach the `event` and `sample` hooks, chosen as `selectExports` does at run time. */
function handlerSources(meta: Meta, btf: Btf): { events: number[]; samples: MapMeta[] } {
  const maps = meta.bpf_skel.maps;
  const isBuffer = (m: MapMeta) => {
    const kind = mapKind(btf, m.name);
    return kind === MapType.RINGBUF || kind === MapType.PERF_EVENT_ARRAY;
  };
  if (meta.enable_multiple_export_types) {
    const events: number[] = [];
    for (const m of maps) {
      const cfg = m.export_config;
      if (m.sample || typeof cfg !== "object" || !("btf_type_id" in cfg)) continue;
      const id = cfg.btf_type_id as number;
      if (btf.types[id] && isBuffer(m) && !events.includes(id)) events.push(id);
    }
    return { events, samples: maps.filter((m) => m.sample && m.export_config !== "no_export") };
  }
  // Legacy mode: the last map that is sampled or a ring/perf buffer is the only one read.
  const last = maps.filter((m) => m.sample || isBuffer(m)).at(-1);
  if (!last) return { events: [], samples: [] };
  if (last.sample) return { events: [], samples: [last] };
  const t = meta.export_types[0];
  return { events: t && btf.types[t.type_id] ? [t.type_id] : [], samples: [] };
}

/** A BTF-defined map's type (`__uint(type, …)` is `int (*type)[N]`), when BTF says. */
function mapKind(btf: Btf, name: string): number | undefined {
  const vsi = btf.find(".maps", Kind.DATASEC)?.vars.find((v) => btf.type(v.type).name === name);
  if (!vsi) return undefined;
  const v = btf.type(vsi.type);
  const def = btf.resolve(v.kind === Kind.VAR ? v.type : v.id);
  if (def.kind !== Kind.STRUCT) return undefined;
  const member = def.members.find((m) => m.name === "type");
  const ptr = member && btf.resolve(member.type);
  const arr = ptr?.kind === Kind.PTR ? btf.resolve(ptr.type) : undefined;
  return arr?.kind === Kind.ARRAY ? arr.nelems : undefined;
}

/** Builds declarations while mapping BTF types to TypeScript types. */
class DtsWriter {
  /** Rendered declarations, in order of first use. */
  readonly blocks: string[] = [];
  readonly #btf: Btf;
  readonly #taken = new Set(RESERVED);
  /** Declared struct/union/enum (resolved type id) → its TypeScript name. */
  readonly #declared = new Map<number, string>();
  /** Names given ahead of time to structs not declared yet. */
  readonly #preset = new Map<number, string>();

  constructor(btf: Btf) {
    this.#btf = btf;
  }

  /** Gives the struct `id` a name ahead of time (a reserved one, like `Event`). */
  nameAs(id: number, name: string): void {
    this.#preset.set(id, name);
  }

  /** Appends a declaration with a JSDoc; returns its slot. */
  block(doc: string[], lines: string[]): number {
    return this.blocks.push([...jsdoc(doc, 0), ...lines].join("\n")) - 1;
  }

  /** A free name: `base`, else `base + suffix`, else with a number after it. */
  allocate(base: string, suffix: string): string {
    if (!base || /^[0-9]/.test(base)) base = suffix + base;
    let name = base;
    if (this.#taken.has(name)) name = base + suffix;
    for (let n = 2; this.#taken.has(name); n++) name = `${base}${suffix}${n}`;
    this.#taken.add(name);
    return name;
  }

  /**
   * The type of a value of BTF type `id` as the decoder produces it; a bitfield when `bitSize`
   * is set or the value does not start on a byte.
   */
  type(id: number, bitOffset = 0, bitSize = 0, depth = 0): TsType {
    const btf = this.#btf;
    if (depth > MAX_DEPTH) return UNKNOWN;
    const t = btf.resolve(id);
    if (bitSize > 0 || bitOffset % 8 !== 0) return this.#bitfield(id, t, bitSize);
    switch (t.kind) {
      case Kind.INT:
        if (t.offset !== 0 || t.bits !== t.size * 8) return this.#bitfield(id, t, 0);
        if (isBoolInt(t)) {
          return ref("boolean");
        }
        if (t.size === 1 || t.size === 2 || t.size === 4) return ref("number");
        return t.size === 8 || t.size === 16 ? ref("bigint") : UNKNOWN;
      case Kind.ENUM:
      case Kind.ENUM64:
        return this.#enum(id, t, t.size === 8 ? "bigint" : "number");
      case Kind.FLOAT:
        return t.size === 2 || t.size === 4 || t.size === 8 ? ref("number") : UNKNOWN;
      case Kind.PTR:
        return ref("bigint");
      case Kind.ARRAY: {
        // As the decoder: only arrays of plain `char` (not through a typedef) are text.
        const elem = btf.skipModifiers(t.type);
        if (isTextChar(elem)) {
          return ref("string");
        }
        const item = this.type(t.type, 0, 0, depth + 1);
        const tuple: TsType = { kind: "tuple", items: Array(t.nelems).fill(item) };
        const text = t.nelems <= TUPLE_MAX ? flat(tuple) : undefined;
        return text !== undefined && text.length <= TUPLE_WIDTH ? tuple : { kind: "array", item };
      }
      case Kind.STRUCT:
      case Kind.UNION: {
        const name = declName(btf, id);
        if (name) return ref(this.#declareComposite(t.id, name, depth));
        const members = this.#members(t.id, depth);
        return members.length ? { kind: "object", members } : ref(EMPTY_OBJECT);
      }
      default:
        return UNKNOWN;
    }
  }

  /** A bitfield: ≤ 32 bits give a number, wider a bigint; bools and enums keep their type. */
  #bitfield(id: number, t: BtfType, bitSize: number): TsType {
    if (t.kind === Kind.INT) {
      if (isBoolInt(t)) {
        return ref("boolean");
      }
      return ref((bitSize || t.bits) > 32 ? "bigint" : "number");
    }
    if (t.kind === Kind.ENUM || t.kind === Kind.ENUM64) {
      return this.#enum(id, t, (bitSize || t.size * 8) > 32 ? "bigint" : "number");
    }
    return UNKNOWN;
  }

  /** An enum: a named one is declared once (when its fallback matches), else inline. */
  #enum(id: number, t: EnumType, fallback: string): TsType {
    const union: TsType = { kind: "union", items: [...enumNames(t), fallback] };
    const name = declName(this.#btf, id);
    // A bitfield narrower or wider than the enum falls back to the other number type.
    if (!name || fallback !== (t.size === 8 ? "bigint" : "number")) return union;
    let declared = this.#declared.get(t.id);
    if (!declared) {
      declared = this.allocate(pascal(name), "Enum");
      this.#declared.set(t.id, declared);
      const c = t.name ? `enum ${t.name}` : `enum {...} (typedef ${name})`;
      this.block([`C: ${c}, ${t.size} bytes`], alias(declared, union));
    }
    return ref(declared);
  }

  /** The interface name of struct/union `id`, declaring it on first use. */
  #declareComposite(id: number, name: string, depth: number): string {
    const known = this.#declared.get(id);
    if (known) return known;
    const t = this.#btf.type(id) as BtfType & { kind: Kind.STRUCT | Kind.UNION; size: number };
    const keyword = t.kind === Kind.UNION ? "union" : "struct";
    const declared = this.#preset.get(id) ??
      this.allocate(pascal(name), keyword === "union" ? "Union" : "Struct");
    this.#declared.set(id, declared);
    // Reserve the slot first: the types this one uses are declared after it.
    const slot = this.block([], []);
    const c = t.name ? `${keyword} ${t.name}` : `${keyword} {...} (typedef ${name})`;
    const members = this.#members(id, depth);
    this.blocks[slot] = [
      ...jsdoc([`C: ${c}, ${t.size} bytes`], 0),
      ...(members.length ? iface(declared, members) : alias(declared, ref(EMPTY_OBJECT))),
    ].join("\n");
    return declared;
  }

  /** Members of a struct/union as the decoder flattens them (anonymous members inlined). */
  #members(id: number, depth: number): TsMember[] {
    return structFields(this.#btf, id).map((f) => {
      const c = typeName(this.#btf, f.type);
      return {
        key: f.name,
        type: this.type(f.type, f.bitOffset, f.bitSize, depth + 1),
        doc: [`C: ${f.bitSize ? `${c} : ${f.bitSize}` : c}`],
        readonly: false,
      };
    });
  }

  /**
   * Names for a map's key and value types, `<Map>Key` and `<Map>Value` (a struct whose own
   * name is that is used as it is).
   */
  mapAliases(map: string, ids: { key?: number; value?: number }): { key: string; value: string } {
    const out = { key: "unknown", value: "unknown" };
    for (const part of ["key", "value"] as const) {
      const id = ids[part];
      const t = id === undefined ? UNKNOWN : this.type(id);
      const base = pascal(map) + (part === "key" ? "Key" : "Value");
      if (t.kind === "ref" && t.text === base) out[part] = base;
      else {
        const name = this.allocate(base, "Type");
        const c = id === undefined ? "not in BTF" : `C: ${typeName(this.#btf, id)}`;
        const doc = `${part === "key" ? "Keys" : "Values"} of map \`${map}\` (${c}).`;
        this.block([doc], t.kind === "object" ? iface(name, t.members) : alias(name, t));
        out[part] = name;
      }
    }
    return out;
  }

  /** `Args`: one property per program flag, the variable's decoded value. */
  args(meta: Meta): void {
    let flags: ProgramFlag[];
    try {
      flags = programFlags(meta, this.#btf);
    } catch (e) {
      // ecli refuses such a package at run time with the same message.
      const why = `The program flags are unusable: ${(e as Error).message}.`;
      this.block([why], alias("Args", ref("Record<string, unknown>")));
      return;
    }
    const byName = new Map(flags.map((f) => [f.variable, f]));
    const members = [...byName.values()].map((f): TsMember => {
      const names = `${f.short ? `-${f.short}, ` : ""}--${f.switch ? switchName(f) : f.long}`;
      return {
        key: f.variable,
        type: this.type(f.typeId),
        doc: [f.help, "", `C: ${f.type}; flag \`${names}\``],
        readonly: true,
      };
    });
    const doc = "Program flags (`ctx.args`): each variable's value as the program sees it.";
    this.block([doc], members.length ? iface("Args", members) : alias("Args", ref(EMPTY_OBJECT)));
  }

  /** The text of `t` if it has one line, else the name of a new declaration of it. */
  named(t: TsType, base: string, id: number): string {
    const text = flat(t);
    if (text !== undefined) return text;
    const name = this.allocate(base, "");
    this.block([`C: ${typeName(this.#btf, id)}`], alias(name, t));
    return name;
  }

  /** `Maps`: a `MapHandle` per map of the object, typed from the map's BTF key and value. */
  maps(maps: MapMeta[], sampled: Map<string, { key: string; value: string }>): void {
    const slot = this.block([], []);
    const members: TsMember[] = [];
    for (const m of maps) {
      if (members.some((x) => x.key === m.name)) continue;
      const ids = mapKeyValueTypes(this.#btf, m.name);
      const key = flat(ids.key === undefined ? UNKNOWN : this.type(ids.key));
      const value = flat(ids.value === undefined ? UNKNOWN : this.type(ids.value));
      const head = `  readonly ${propertyKey(m.name)}: `;
      let text = `MapHandle<${key}, ${value}>`;
      // Struct or long key/value types read better (and format stably) under their own names.
      const kv = sampled.get(m.name) ??
        (key === undefined || value === undefined || head.length + text.length + 1 > WIDTH
          ? this.mapAliases(m.name, ids)
          : undefined);
      if (kv) text = `MapHandle<${kv.key}, ${kv.value}>`;
      const c = ids.key === undefined && ids.value === undefined
        ? "C: key and value types not in BTF"
        : `C: key ${cName(this.#btf, ids.key)}, value ${cName(this.#btf, ids.value)}`;
      const doc = m.description ? [String(m.description), "", c] : [c];
      members.push({ key: m.name, type: ref(text), doc, readonly: true });
    }
    this.blocks[slot] = [
      ...jsdoc(["The object's maps (`ctx.maps`), by name."], 0),
      ...(members.length ? iface("Maps", members) : alias("Maps", ref(EMPTY_OBJECT))),
    ].join("\n");
  }
}

function cName(btf: Btf, id: number | undefined): string {
  return id === undefined ? "(not in BTF)" : typeName(btf, id);
}

function isComposite(t: BtfType): boolean {
  return t.kind === Kind.STRUCT || t.kind === Kind.UNION;
}

/**
 * The C name a struct/union/enum is declared under: its own, or for an anonymous one the
 * typedef that names it (`typedef struct {…} foo_t;`); `""` when it has neither.
 */
function declName(btf: Btf, id: number): string {
  let t = btf.type(id);
  let typedef = "";
  for (let depth = 0; t.kind === Kind.TYPEDEF || isModifier(t.kind); depth++) {
    if (depth > 64) return "";
    if (t.kind === Kind.TYPEDEF) typedef = t.name;
    t = btf.type((t as { type: number }).type);
  }
  return t.name || typedef;
}

function isModifier(kind: Kind): boolean {
  return kind === Kind.CONST || kind === Kind.VOLATILE || kind === Kind.RESTRICT ||
    kind === Kind.TYPE_TAG;
}

/** Enumerator names the decoder can produce: the first name of each distinct value. */
function enumNames(t: EnumType): string[] {
  const seen = new Map<bigint, string>();
  for (const e of t.values) {
    const key = BigInt.asUintN(t.size * 8, BigInt(e.value));
    if (!seen.has(key)) seen.set(key, e.name);
  }
  return [...seen.values()].map((n) => JSON.stringify(n));
}

/** `exec_start` → `ExecStart`, `event` → `Event`, `procsnoo.rodata` → `ProcsnooRodata`. */
function pascal(name: string): string {
  return name.replace(/[^A-Za-z0-9_$]/g, "_").split("_").filter(Boolean)
    .map((p) => p[0].toUpperCase() + p.slice(1)).join("");
}

function unique(items: string[]): string[] {
  return [...new Set(items)];
}

function propertyKey(name: string): string {
  return /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(name) ? name : JSON.stringify(name);
}

/** Single-line text of `t`, or undefined when it holds an object (those always span lines). */
function flat(t: TsType): string | undefined {
  switch (t.kind) {
    case "ref":
      return t.text;
    case "union":
      return t.items.join(" | ");
    case "tuple": {
      const items = t.items.map(flat);
      return items.every((i) => i !== undefined) ? `[${items.join(", ")}]` : undefined;
    }
    case "array": {
      const item = flat(t.item);
      if (item === undefined) return undefined;
      return t.item.kind === "union" ? `(${item})[]` : `${item}[]`;
    }
    case "object":
      return undefined;
  }
}

/**
 * `t` laid out starting at `column` on a line indented by `indent`, with `tail` characters
 * after it: on one line when it fits in `WIDTH`, else broken as `deno fmt` breaks it.
 */
function layout(t: TsType, indent: number, column: number, tail: number): string {
  const f = flat(t);
  const fits = f !== undefined && column + f.length + tail <= WIDTH;
  if (f !== undefined && (fits || t.kind === "ref" || t.kind === "union")) return f;
  const pad = " ".repeat(indent);
  switch (t.kind) {
    case "object":
      return ["{", ...memberLines(t.members, indent + 2), `${pad}}`].join("\n");
    case "tuple": {
      const inner = " ".repeat(indent + 2);
      const items = t.items.map((i) => `${inner}${layout(i, indent + 2, indent + 2, 1)},`);
      return ["[", ...items, `${pad}]`].join("\n");
    }
    case "array":
      return `${layout(t.item, indent, column, tail + 2)}[]`;
    default:
      return f!;
  }
}

/** Lines of `head` followed by type `t` and `;`, breaking a long union one member a line. */
function typedLines(head: string, t: TsType, indent: number): string[] {
  const f = flat(t);
  if (t.kind === "union" && f !== undefined && head.length + 1 + f.length + 1 > WIDTH) {
    const pad = " ".repeat(indent + 2);
    const items = t.items.map((i) => `${pad}| ${i}`);
    items[items.length - 1] += ";";
    return [head, ...items];
  }
  return [`${head} ${layout(t, indent, head.length + 1, 1)};`];
}

function memberLines(members: TsMember[], indent: number): string[] {
  const pad = " ".repeat(indent);
  return members.flatMap((m) => [
    ...jsdoc(m.doc, indent),
    ...typedLines(`${pad}${m.readonly ? "readonly " : ""}${propertyKey(m.key)}:`, m.type, indent),
  ]);
}

function iface(name: string, members: TsMember[]): string[] {
  return [`export interface ${name} {`, ...memberLines(members, 2), "}"];
}

/** `export type name = …;`, or an interface for an object type. */
function alias(name: string, t: TsType): string[] {
  if (t.kind === "object") return iface(name, t.members);
  if (t.kind === "union" && t.items.length === 1) t = ref(t.items[0]);
  return typedLines(`export type ${name} =`, t, 0);
}

/**
 * A JSDoc block (one line when short); `""` separates paragraphs, `*\/` in the text is
 * escaped.
 */
function jsdoc(lines: string[], indent: number): string[] {
  const text = lines.flatMap((l) => l.split("\n")).map((l) => l.trim().replaceAll("*/", "*\\/"))
    .filter((l, i, all) => l || (i > 0 && all[i - 1]));
  while (text.length && !text.at(-1)) text.pop();
  if (!text.length) return [];
  const pad = " ".repeat(indent);
  if (text.length === 1 && indent + text[0].length + 7 <= 100) return [`${pad}/** ${text[0]} */`];
  return [`${pad}/**`, ...text.map((l) => l ? `${pad} * ${l}` : `${pad} *`), `${pad} */`];
}

function header(meta: Meta, options: DtsOptions): string {
  const lines = [
    `// Handler types for ${meta.bpf_skel.obj_name}, generated by ecc from the object's BTF`,
    "// (compile again rather than edit): the events, sampled map entries, program flags and",
    "// maps that `ecli run --handler` passes to a handler.",
  ];
  if (options.fileName) {
    lines.push(
      "//",
      `//   import type { Handler } from "./${options.fileName}";`,
      "//   export default ((e, ctx) => { ... }) satisfies Handler;",
    );
  }
  return lines.join("\n");
}

/** The handler shapes of `lib/handler/types.ts`, specialised to this file's types. */
const SHAPES =
  `/** A BPF map seen from TypeScript: keys and values are encoded/decoded with the map's BTF. */
export interface MapHandle<K = unknown, V = unknown> {
  /** The map's name. */
  readonly name: string;
  /** The value at \`key\`, or undefined when there is none. */
  get(key: K): V | undefined;
  /** Creates or replaces the value at \`key\`. */
  set(key: K, value: V): void;
  /** Deletes \`key\`; returns whether it was there. */
  delete(key: K): boolean;
  /** The keys present now. */
  keys(): K[];
  /** The entries present now. */
  entries(): [K, V][];
  /** Iterates the entries present now. */
  [Symbol.iterator](): IterableIterator<[K, V]>;
}

/** One entry of a sampled map. */
export interface SampleEntry<K = unknown, V = unknown> {
  /** Decoded key. */
  key: K;
  /** Decoded value. */
  value: V;
}

/** What one \`ctx.$\` command did. */
export interface ShellResult {
  /** The command line run by \`/bin/sh -c\`, values quoted. */
  readonly command: string;
  /** Exit code (127: could not start; -1: dropped because too many were waiting). */
  readonly code: number;
  /** Its standard output (the first MiB). */
  readonly stdout: string;
  /** Its standard error (the first MiB). */
  readonly stderr: string;
}

/** The \`ctx\` every hook gets. */
export interface Context {
  /** Name of the map the current event or sample came from. */
  readonly map: string;
  /** The program's flag values (variable name → decoded value). */
  readonly args: Args;
  /** Every map of the object, by name. */
  readonly maps: Maps;
  /** Prints \`value\` in the run's output format (table or JSON); strings print as lines. */
  emit(value: unknown): void;
  /** Ends the run (teardown follows). */
  stop(): void;
  /**
   * Runs a shell command, each interpolated value one quoted word:
   * \`await ctx.$\\\`kill -STOP \${e.pid}\\\`\`. A failure is reported and returned, never thrown.
   */
  $(strings: TemplateStringsArray, ...values: unknown[]): Promise<ShellResult>;
}

/** A handler as a single function: called for every event; a returned value is emitted. */
export type EventFunction = (event: Event, ctx: Context) => unknown;

/**
 * A zero-copy view of one event: each field is read from the ring buffer when you get it. Valid
 * only until the hook returns (then every read throws); \`toObject()\` gives an event to keep.
 */
export type EventView = View<Event>;

/** The view of one event type (a union of event types gives a union of views). */
export type View<E> = { readonly [K in keyof E]: E[K] } & { toObject(): E };

/**
 * The records of one drain (up to 1024), read through one cursor: \`at(i)\` moves it to record
 * \`i\` and returns it (the same view for every \`i\`). Valid only until the hook returns.
 */
export interface EventBatch {
  /** Records in the batch (at least 1). */
  readonly length: number;
  /** The cursor on record \`i\`, 0 ≤ i < length. */
  at(i: number): EventView;
}

/** A handler as an object of optional hooks. */
export interface HandlerHooks {
  /** Called once, after attach and before the first event. */
  start?(ctx: Context): unknown;
  /** Called for every event of a ring or perf buffer; a returned value is emitted. */
  event?(event: Event, ctx: Context): unknown;
  /**
   * Instead of \`event\`: called for every event with a view that decodes nothing up front (for
   * handlers that read a few fields of many events). A returned value is emitted.
   */
  view?(event: EventView, ctx: Context): unknown;
  /**
   * Instead of \`event\`: called once per drain with every record it found (for handlers that
   * aggregate at full rate). A returned value is emitted.
   */
  batch?(events: EventBatch, ctx: Context): unknown;
  /** Called with every sampling round of a sampled map; a returned value is emitted. */
  sample?(entries: Sample[], ctx: Context): unknown;
  /** Called once when the run ends, before teardown. */
  stop?(ctx: Context): unknown;
}

/** What the handler module's default export may be: \`export default … satisfies Handler;\` */
export type Handler = EventFunction | HandlerHooks;`;
