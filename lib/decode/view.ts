/**
 * Zero-copy event views: a class generated per event type whose getters read one field each
 * straight from the record (the same expressions the object decoder uses, so the values are
 * identical), and a batch cursor over many records of one drain. A view is valid only while the
 * record is: `detach` makes every getter throw, so a view kept past its handler's return fails
 * loudly instead of reading whatever the kernel wrote there since.
 * @module
 */
import { type Btf, Kind } from "../btf/mod.ts";
import { propertyKey, SourceBuilder } from "./codegen.ts";
import { buildDecoder, cachedPerType, describeType } from "./decoder.ts";
import { DecodeError } from "./errors.ts";
import { structFields } from "./fields.ts";

/** A view or batch used after its record left the ring (its handler returned). */
export class DetachedViewError extends Error {
  override name = "DetachedViewError";
}

/** What every generated view has besides its field getters. */
export interface EventViewBase<T = unknown> {
  /** A plain object with every field (what the `event` hook gets): keep this, not the view. */
  toObject(): T;
}

/** Records of one drain as one cursor: `at(i)` moves it to record `i` and returns it. */
export interface EventBatchBase<V> {
  /** Records in the batch. */
  readonly length: number;
  /** The cursor on record `i` (the same object for every `i`: read it before the next `at`). */
  at(i: number): V;
}

/** The generated view kit of one type. */
export interface ViewKit {
  /** A new view on `length` bytes at `offset` of `view`; throws `DecodeError` when too short. */
  view(view: DataView, offset: number, length: number): EventViewBase;
  /** Makes `v` (a view or batch from this kit) refuse every read from now on. */
  detach(v: unknown): void;
  /** `detach` for a view from `view` (no type test: the per-event path). */
  detachView(v: EventViewBase): void;
  /** A new batch over the records at `offsets[0 .. count)` of `view` (their lengths checked). */
  batch(view: DataView, offsets: Uint32Array, count: number): EventBatchBase<EventViewBase>;
  /** Bytes one record must have. */
  readonly size: number;
}

const cache = new WeakMap<Btf, Map<number, ViewKit>>();

/**
 * The view kit of BTF type `typeId` (a struct or union; generated once per `Btf`): its views
 * have one getter per member as the object decoder flattens them (anonymous members inlined),
 * and `toObject()`.
 */
export function buildView(btf: Btf, typeId: number): ViewKit {
  return cachedPerType(cache, btf, typeId, () => compileView(btf, typeId));
}

function compileView(btf: Btf, typeId: number): ViewKit {
  const t = btf.resolve(typeId);
  const what = describeType(btf, typeId);
  if (t.kind !== Kind.STRUCT && t.kind !== Kind.UNION) {
    throw new DecodeError(`${what}: only structs and unions have event views`);
  }
  const size = btf.sizeOf(typeId);
  const fields = structFields(btf, typeId);
  const gen = new SourceBuilder(btf);
  const getters = fields.map((f) => {
    const body: string[] = [];
    const expr = gen.value(f.type, "o", f.bitOffset, f.bitSize, body, `${what}.${f.name}`, 0);
    return [
      `get ${propertyKey(f.name)}() {`,
      `const o = this.#o, d = this.#d, u = this.#u;`,
      `if (o < 0) throw detached();`,
      ...body,
      `return ${expr};`,
      `}`,
    ].join("\n");
  });
  const hasToObject = fields.some((f) => f.name === "toObject");
  const source = [
    `"use strict";`,
    `class View {`,
    `#d; #u; #o;`,
    `constructor(d, u, o) { this.#d = d; this.#u = u; this.#o = o; }`,
    `static seek(v, o) { v.#o = o; }`,
    `static isView(v) { return #o in v; }`,
    ...getters,
    // A member called toObject keeps its getter; the object is then `decode.at` directly.
    hasToObject ? `` : `toObject() { const o = this.#o; if (o < 0) throw detached(); ` +
      `return decodeAt(this.#d, o, ${size}); }`,
    `get [Symbol.toStringTag]() { return ${JSON.stringify(what)}; }`,
    `}`,
    `class Batch {`,
    `#v; #offsets; #n;`,
    `constructor(v, offsets, n) { this.#v = v; this.#offsets = offsets; this.#n = n; }`,
    `static detach(b) { b.#n = -1; View.seek(b.#v, -1); }`,
    `static isBatch(b) { return #n in b; }`,
    `get length() { if (this.#n < 0) throw detached(); return this.#n; }`,
    `at(i) {`,
    `if (this.#n < 0) throw detached();`,
    `if (i !== (i >>> 0) || i >= this.#n) throw new RangeError(` +
    `"batch index " + i + " is outside 0.." + (this.#n - 1));`,
    `View.seek(this.#v, this.#offsets[i]);`,
    `return this.#v;`,
    `}`,
    `}`,
    `let lv = null, lu = null;`,
    `const bytesOf = (d) => d === lv ? lu : (lv = d, lu = new Uint8Array(d.buffer, d.byteOffset, d.byteLength));`,
    `return {`,
    `size: ${size},`,
    `view(d, o, n) {`,
    `if (n < ${size} || o !== (o >>> 0) || o + n > d.byteLength) throw tooShort(d, o, n);`,
    `return new View(d, bytesOf(d), o);`,
    `},`,
    `detachView(v) { View.seek(v, -1); },`,
    `detach(v) {`,
    `if (typeof v !== "object" || v === null) return;`,
    `if (View.isView(v)) View.seek(v, -1); else if (Batch.isBatch(v)) Batch.detach(v);`,
    `},`,
    `batch(d, offsets, n) {`,
    `return new Batch(new View(d, bytesOf(d), -1), offsets, n);`,
    `},`,
    `};`,
  ].join("\n");
  const tooShort = (view: DataView, offset: number, length: number) =>
    new DecodeError(
      `${what}: needs ${size} bytes, the record has ${length} (at offset ${offset} of a view ` +
        `of ${view.byteLength})`,
    );
  const detached = () =>
    new DetachedViewError(
      `${what}: event view used after its handler returned (call toObject() to keep an event)`,
    );
  const decodeAt = buildDecoder(btf, typeId).at;
  const names = ["tooShort", "detached", "decodeAt", ...gen.names];
  const values = [tooShort, detached, decodeAt, ...gen.values];
  return new Function(...names, source)(...values);
}
