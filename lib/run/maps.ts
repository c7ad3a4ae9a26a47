import { BpfMapHandle } from "../export/mod.ts";
import type { MapHandle } from "../handler/mod.ts";
import { mapKeyValueTypes } from "./exports.ts";
import type { ConsumerSetup } from "./runner.ts";

/**
 * `ctx.maps`: a handle for every map of the package's meta, keys and values encoded and
 * decoded with the map's BTF types (raw bytes for maps whose types are not in BTF, such as
 * ring buffers and internal data maps).
 */
export function mapHandles(setup: ConsumerSetup): Record<string, MapHandle> {
  const maps: Record<string, MapHandle> = {};
  for (const m of setup.meta.bpf_skel.maps) {
    const { key, value } = mapKeyValueTypes(setup.btf, m.name);
    maps[m.name] = new BpfMapHandle(setup.object.map(m.name), setup.btf, key, value);
  }
  return maps;
}
