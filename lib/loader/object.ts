import { cString, ffi, objectOpenOpts, type Pointer } from "../../ffi/mod.ts";
import { type BpfObjectFile, readBpfObject } from "../btf/mod.ts";
import type { Package, ProgMeta } from "../package/mod.ts";
import {
  type Attachment,
  attachProgram,
  findProgram,
  type ProgramAttachOptions,
} from "./attach.ts";
import {
  type DataVariable,
  findVariable,
  type VariableValue,
  writeVariable,
} from "./data_section.ts";
import { LoaderError, strerror } from "./errors.ts";
import { chooseKernelBtf } from "./kernel_btf.ts";
import { LibbpfLog, type LogSink } from "./libbpf_log.ts";
import { loadFailure } from "./load_error.ts";

/** Options for opening a package's BPF object. */
export interface OpenOptions {
  /** Kernel BTF file for CO-RE; default env `BTF_FILE_PATH`, else the running kernel's. */
  btfPath?: string;
  /** Receives libbpf's log lines (warnings always; info/debug only with `verbose`). */
  log?: LogSink;
  /** Forward every libbpf line to `log` as it comes. */
  verbose?: boolean;
}

/** A map of a BPF object, as libbpf describes it. */
export interface BpfMap {
  /** libbpf's map name (internal maps: `<obj prefix>.rodata`). */
  name: string;
  /** The map fd; -1 before load. */
  fd: number;
  /** `enum bpf_map_type`. */
  type: number;
  /** Key size in bytes. */
  keySize: number;
  /** Value size in bytes. */
  valueSize: number;
  /** max_entries (ring buffers: the data size in bytes). */
  maxEntries: number;
}

/** Where a `BpfObject` is in its life. */
export type ObjectState = "opened" | "loaded" | "attached" | "closed";

/**
 * A package's BPF object through its life in libbpf: opened (set variables and map sizes),
 * loaded into the kernel, attached; `close()` detaches everything (links, tc filters, XDP) and
 * frees the object. Any failure in `load()` or `attach()` closes it, so an error never leaves
 * anything attached or loaded.
 */
export class BpfObject {
  /** `meta.bpf_skel.obj_name`. */
  readonly name: string;
  #package: Package;
  #ptr: Pointer;
  #state: ObjectState = "opened";
  #attachments: Attachment[] = [];
  #log: LibbpfLog;
  #file?: BpfObjectFile;
  /** Deletes the temporary kernel BTF file (libbpf reads it during load). */
  #btfCleanup?: () => void;

  private constructor(pkg: Package, ptr: Pointer, log: LibbpfLog) {
    this.name = pkg.meta.bpf_skel.obj_name;
    this.#package = pkg;
    this.#ptr = ptr;
    this.#log = log;
  }

  /** Opens the package's object in libbpf (nothing reaches the kernel yet). */
  static open(pkg: Package, opts: OpenOptions = {}): BpfObject {
    const log = new LibbpfLog(opts.log, opts.verbose ?? false);
    const btf = chooseKernelBtf(opts.btfPath, pkg.btfArchive);
    if (btf.archiveKey && opts.verbose) {
      log.sink?.("info", `kernel BTF from the package: ${btf.archiveKey}`);
    }
    const btfCustomPath = btf.path;
    const name = pkg.meta.bpf_skel.obj_name;
    const backend = ffi();
    const { opts: o, keep } = objectOpenOpts(backend.memory, { objectName: name, btfCustomPath });
    let err = 0;
    const ptr = log.run(() => {
      const p = backend.libbpf.bpf_object__open_mem(pkg.object, pkg.object.length, o);
      err = p === null ? backend.errno() : 0;
      return p;
    }, (p) => p === null);
    keep.length; // keeps the strings `o` points to alive through the call
    if (ptr === null) {
      btf.cleanup?.();
      const why = log.warnings()[0];
      throw new LoaderError(
        `Failed to open BPF object '${name}': ${strerror(err)}${why ? ` [libbpf: ${why}]` : ""}`,
        log.text(),
        err,
      );
    }
    const obj = new BpfObject(pkg, ptr, log);
    obj.#btfCleanup = btf.cleanup;
    return obj;
  }

  /** Where the object is in its life. */
  get state(): ObjectState {
    return this.#state;
  }

  /** What is attached, in attach order. */
  get attachments(): readonly Attachment[] {
    return this.#attachments;
  }

  #require(...states: ObjectState[]): void {
    if (!states.includes(this.#state)) {
      throw new LoaderError(
        `BPF object '${this.name}' is ${this.#state}; this needs it ${states.join(" or ")}`,
      );
    }
  }

  #mapPtr(name: string): Pointer {
    this.#require("opened", "loaded", "attached");
    const m = ffi().libbpf.bpf_object__find_map_by_name(this.#ptr, cString(name));
    if (m === null) throw new LoaderError(`Map '${name}' not found in BPF object '${this.name}'`);
    return m;
  }

  /** The layout of a data-section variable, from the object's BTF. */
  variable(section: string, name: string): DataVariable {
    this.#file ??= readBpfObject(this.#package.object);
    return findVariable(this.#file.btf, section, name);
  }

  /**
   * Sets the initial value of one global variable (before load). Variables not set keep the
   * object's own initial contents.
   */
  setVariable(value: VariableValue): void {
    this.setVariables([value]);
  }

  /** Sets several variables; each section's image is rewritten once. */
  setVariables(values: Iterable<VariableValue>): void {
    this.#require("opened");
    const bySection = new Map<string, VariableValue[]>();
    for (const v of values) bySection.set(v.section, [...(bySection.get(v.section) ?? []), v]);
    const { libbpf, memory } = ffi();
    for (const [section, list] of bySection) {
      const vars = list.map((v) => [this.variable(section, v.name), v.bytes] as const);
      const map = this.#mapPtr(section);
      const size = new BigUint64Array(1);
      const current = libbpf.bpf_map__initial_value(map, size);
      const image = current === null ? new Uint8Array(0) : memory.copy(current, Number(size[0]));
      for (const [v, bytes] of vars) writeVariable(image, v, bytes);
      const r = this.#log.run(
        () => libbpf.bpf_map__set_initial_value(map, image, image.length),
        (r) => r < 0,
      );
      if (r < 0) {
        throw new LoaderError(`Failed to set the initial value of '${section}': ${strerror(r)}`);
      }
    }
  }

  /** Sets a map's max_entries before load (ring buffers: bytes, a power-of-2 page multiple). */
  setMaxEntries(map: string, maxEntries: number): void {
    this.#require("opened");
    const p = this.#mapPtr(map);
    const r = this.#log.run(
      () => ffi().libbpf.bpf_map__set_max_entries(p, maxEntries),
      (r) => r < 0,
    );
    if (r < 0) throw new LoaderError(`Failed to resize map '${map}': ${strerror(r)}`);
  }

  /** A program's SEC() name as libbpf reads it; undefined when the object has no such program. */
  programSection(program: string): string | undefined {
    return this.#sectionOf(program);
  }

  #sectionOf(program: string): string | undefined {
    const p = findProgram(this.#ptr, program);
    if (!p) return undefined;
    const { libbpf, memory } = ffi();
    return memory.cString(libbpf.bpf_program__section_name(p));
  }

  /** Loads every program and creates every map; on failure the object is closed. */
  load(): void {
    this.#require("opened");
    const r = this.#log.run(() => ffi().libbpf.bpf_object__load(this.#ptr), (r) => r < 0);
    this.#dropBtf();
    if (r < 0) {
      const e = loadFailure(this.name, r, this.#log, (name) => this.#sectionOf(name));
      this.close();
      throw e;
    }
    this.#state = "loaded";
  }

  /**
   * Attaches every program of `meta.bpf_skel.progs`, in order (programs not listed stay
   * loaded but unattached), with `opts(name)`'s run-time choices. On failure everything is
   * detached and the object closed.
   */
  attach(opts: (program: string) => ProgramAttachOptions = () => ({})): void {
    this.#require("loaded");
    try {
      for (const prog of this.#package.meta.bpf_skel.progs) {
        const p = findProgram(this.#ptr, prog.name);
        if (!p) {
          throw new LoaderError(`Program '${prog.name}' not found in BPF object '${this.name}'`);
        }
        this.#attachments.push(attachProgram(p, prog, this.#log, opts(prog.name)));
      }
    } catch (e) {
      this.close();
      throw e;
    }
    this.#state = "attached";
  }

  /**
   * Attaches one more program, by name, after `load()` (upstream's wasm-bpf ABI attaches
   * program by program): `prog` says how, as a package's program entry would (auto-attach, or
   * `xdp`/`tc` with their extras). It is detached by `close()` like the others.
   */
  attachOne(prog: ProgMeta): Attachment {
    this.#require("loaded", "attached");
    const p = findProgram(this.#ptr, prog.name);
    if (!p) throw new LoaderError(`Program '${prog.name}' not found in BPF object '${this.name}'`);
    const a = attachProgram(p, prog, this.#log);
    this.#attachments.push(a);
    this.#state = "attached";
    return a;
  }

  /** The section name of a program (`tp/sched/sched_process_exec`); undefined when absent. */
  sectionOf(program: string): string | undefined {
    return this.#sectionOf(program);
  }

  /** The object and its links by address (see `ObjectRecord`); undefined once closed. */
  get record(): ObjectRecord | undefined {
    if (this.#state === "closed") return undefined;
    return {
      object: ffi().memory.address(this.#ptr),
      links: this.#attachments.flatMap((a) => a.linkAddress === undefined ? [] : [a.linkAddress]),
    };
  }

  /**
   * Detaches every program (reverse attach order) but keeps the object loaded: maps, their
   * contents and the programs stay in the kernel, and `attach()` attaches them again (pause and
   * resume). Never throws: detach problems are returned.
   */
  detach(): string[] {
    this.#require("attached");
    const problems = this.#detachAll();
    this.#state = "loaded";
    return problems;
  }

  #detachAll(): string[] {
    const problems: string[] = [];
    for (const a of this.#attachments.splice(0).reverse()) {
      const p = a.detach();
      if (p) problems.push(p);
    }
    return problems;
  }

  /** A map's description (its fd is valid once loaded). */
  map(name: string): BpfMap {
    const p = this.#mapPtr(name);
    const { libbpf, memory } = ffi();
    return {
      name: memory.cString(libbpf.bpf_map__name(p)),
      fd: libbpf.bpf_map__fd(p),
      type: libbpf.bpf_map__type(p),
      keySize: libbpf.bpf_map__key_size(p),
      valueSize: libbpf.bpf_map__value_size(p),
      maxEntries: libbpf.bpf_map__max_entries(p),
    };
  }

  /** Every map of the object, in libbpf's order. */
  maps(): BpfMap[] {
    this.#require("opened", "loaded", "attached");
    const { libbpf, memory } = ffi();
    const out: BpfMap[] = [];
    for (let m = libbpf.bpf_object__next_map(this.#ptr, null); m !== null;) {
      out.push(this.map(memory.cString(libbpf.bpf_map__name(m))));
      m = libbpf.bpf_object__next_map(this.#ptr, m);
    }
    return out;
  }

  /** A program's fd (valid once loaded); throws when the object has no such program. */
  programFd(name: string): number {
    this.#require("loaded", "attached");
    const p = findProgram(this.#ptr, name);
    if (!p) throw new LoaderError(`Program '${name}' not found in BPF object '${this.name}'`);
    return ffi().libbpf.bpf_program__fd(p);
  }

  /**
   * Detaches everything (reverse attach order) and closes the object. Idempotent; never
   * throws: detach problems are returned (and logged as warnings).
   */
  close(): string[] {
    this.#dropBtf();
    if (this.#state === "closed") return [];
    const problems = this.#detachAll();
    const ptr = this.#ptr;
    this.#ptr = null;
    this.#state = "closed";
    this.#log.run(() => ffi().libbpf.bpf_object__close(ptr), () => false);
    for (const p of problems) this.#log.sink?.("warn", p);
    return problems;
  }

  #dropBtf(): void {
    this.#btfCleanup?.();
    this.#btfCleanup = undefined;
  }

  /** `using obj = …` closes it at scope end. */
  [Symbol.dispose](): void {
    this.close();
  }
}

/**
 * Enough to release an object from another thread of the process when the one that owns it
 * cannot (a Worker ended while its guest ran): libbpf's object and link structures by address.
 */
export interface ObjectRecord {
  /** `struct bpf_object *`. */
  object: bigint;
  /** `struct bpf_link *` of every link attached. */
  links: bigint[];
}

/**
 * Destroys the links and closes the object of a record made by `BpfObject.record` on a thread
 * that will not touch it again (it was terminated). Use it once per record.
 */
export function releaseObjectRecord(r: ObjectRecord): void {
  const { libbpf, memory } = ffi();
  for (const l of [...r.links].reverse()) libbpf.bpf_link__destroy(memory.pointer(l));
  libbpf.bpf_object__close(memory.pointer(r.object));
}

/** What `loadObject` does besides open, load and attach. */
export interface LoadOptions extends OpenOptions {
  /** Initial values of global variables, already encoded. */
  variables?: Iterable<VariableValue>;
  /** max_entries overrides by map name. */
  maxEntries?: Record<string, number>;
  /** Attach the programs (default true). */
  attach?: boolean;
}

/**
 * Opens, configures, loads and (by default) attaches a package's object; any error closes it
 * first, so nothing stays loaded or attached.
 */
export function loadObject(pkg: Package, opts: LoadOptions = {}): BpfObject {
  const obj = BpfObject.open(pkg, opts);
  try {
    if (opts.variables) obj.setVariables(opts.variables);
    for (const [map, n] of Object.entries(opts.maxEntries ?? {})) obj.setMaxEntries(map, n);
    obj.load();
    if (opts.attach ?? true) obj.attach();
    return obj;
  } catch (e) {
    obj.close();
    throw e;
  }
}
