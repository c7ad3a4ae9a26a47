import { type Btf, Kind } from "../btf/mod.ts";
import type { MapMeta, Meta } from "../package/mod.ts";
import { RunError } from "./errors.ts";

/** `enum bpf_map_type` values that carry events. */
export const MapType = { PERF_EVENT_ARRAY: 4, RINGBUF: 27 } as const;

/** Where events come from and which BTF type describes them. */
export type ExportPlan =
  | {
    /** Records pushed by the kernel. */
    kind: "ringbuf" | "perfbuf";
    /** The map's meta entry. */
    map: MapMeta;
    /** BTF type id of one record. */
    typeId: number;
  }
  | {
    /** A map read every `sample.interval` ms. */
    kind: "sample";
    /** The map's meta entry (with `sample`). */
    map: MapMeta;
    /** BTF type id of the keys. */
    keyTypeId: number;
    /** BTF type id of the values. */
    valueTypeId: number;
  };

/** Key and value types of a BTF-defined map (`__type(key, …)` / `__type(value, …)`). */
export function mapKeyValueTypes(btf: Btf, name: string): { key?: number; value?: number } {
  const maps = btf.find(".maps", Kind.DATASEC);
  const vsi = maps?.vars.find((v) => btf.type(v.type).name === name);
  if (!vsi) return {};
  const v = btf.type(vsi.type);
  const def = btf.resolve(v.kind === Kind.VAR ? v.type : v.id);
  if (def.kind !== Kind.STRUCT) return {};
  const pointee = (member: string) => {
    const m = def.members.find((x) => x.name === member);
    if (!m) return undefined;
    const p = btf.resolve(m.type);
    return p.kind === Kind.PTR ? p.type : undefined;
  };
  return { key: pointee("key"), value: pointee("value") };
}

function samplePlan(btf: Btf, map: MapMeta): ExportPlan {
  const { key, value } = mapKeyValueTypes(btf, map.name);
  if (key === undefined || value === undefined) {
    throw new RunError(
      `map '${map.name}' is sampled but its key/value types are not in BTF (declare it with __type(key, …) and __type(value, …))`,
    );
  }
  return { kind: "sample", map, keyTypeId: key, valueTypeId: value };
}

/** Checks the export type the package names against the object's BTF. */
function checkedExportType(btf: Btf, meta: Meta, map: MapMeta): number {
  const t = meta.export_types[0];
  if (!t) {
    throw new RunError(
      `map '${map.name}' exports events, but the package has no export types ` +
        `(compile with the event header: ecc prog.bpf.c event.h)`,
    );
  }
  const bt = btf.types[t.type_id];
  if (!bt) {
    throw new RunError(`export type '${t.name}': type id ${t.type_id} is not in the object's BTF`);
  }
  if (bt.kind !== Kind.STRUCT || bt.name !== t.name) {
    throw new RunError(
      `export type '${t.name}': type id ${t.type_id} is ${
        Kind[bt.kind]
      } '${bt.name}' in the object's BTF`,
    );
  }
  return t.type_id;
}

/** Export type of a map in multiple-export mode (`export_config`). */
function configuredType(btf: Btf, map: MapMeta): number | undefined {
  const cfg = map.export_config;
  if (cfg === "no_export" || cfg === "default") return undefined;
  if ("btf_type_id" in cfg) {
    const id = cfg.btf_type_id as number;
    if (!btf.types[id]) {
      throw new RunError(
        `map '${map.name}': export_config btf_type_id ${id} is not in the object's BTF`,
      );
    }
    return id;
  }
  throw new RunError(`map '${map.name}': export_config custom_members is not supported yet`);
}

/**
 * Chooses the maps whose contents are printed, as upstream does. Legacy mode: the last map
 * that has `sample`, or is a ring buffer or perf event array, with `export_types[0]`.
 * Multiple-export mode: every map whose `export_config` is not `no_export`.
 * `kernelType(name)` gives a map's kernel type (after open).
 */
export function selectExports(
  meta: Meta,
  btf: Btf,
  kernelType: (name: string) => number,
  warn: (line: string) => void = () => {},
): ExportPlan[] {
  const maps = meta.bpf_skel.maps;
  if (meta.enable_multiple_export_types) {
    const plans: ExportPlan[] = [];
    for (const map of maps) {
      if (map.export_config === "no_export") continue;
      if (map.sample) {
        plans.push(samplePlan(btf, map));
        continue;
      }
      const type = kernelType(map.name);
      const kind = type === MapType.RINGBUF
        ? "ringbuf"
        : type === MapType.PERF_EVENT_ARRAY
        ? "perfbuf"
        : undefined;
      if (!kind) continue;
      const typeId = configuredType(btf, map);
      if (typeId === undefined) {
        throw new RunError(`map '${map.name}': export_config "default" is only for sampled maps`);
      }
      plans.push({ kind, map, typeId });
    }
    return plans;
  }
  const candidates = maps.filter((m) => {
    if (m.sample) return true;
    const t = kernelType(m.name);
    return t === MapType.RINGBUF || t === MapType.PERF_EVENT_ARRAY;
  });
  if (!candidates.length) return [];
  if (candidates.length > 1) {
    warn(
      `several export maps (${candidates.map((m) => m.name).join(", ")}); ` +
        `printing the last one, '${candidates.at(-1)!.name}', as upstream does`,
    );
  }
  const map = candidates.at(-1)!;
  if (map.sample) return [samplePlan(btf, map)];
  const kind = kernelType(map.name) === MapType.RINGBUF ? "ringbuf" : "perfbuf";
  return [{ kind, map, typeId: checkedExportType(btf, meta, map) }];
}
