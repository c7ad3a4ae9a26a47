import { z } from "zod";

// Field names and defaults follow upstream's package format (bpf-loader-lib's meta types);
// unknown keys are kept everywhere (loose objects), as upstream ignores but tolerates them.

/**
 * A list that upstream also accepts as `null`; read as empty. We also accept it missing: ecc
 * (upstream's and ours) leaves `maps`/`progs` out when the object has none.
 */
/**
 * An identifier (map, program, variable, type or section name): bounded, so an error that
 * names one stays one readable line. 256 is twice the longest kernel symbol name of older kernels.
 */
// deno-lint-ignore no-control-regex -- refusing control characters is the point
const ident = z.string().max(256).regex(/^[^\x00-\x1f\x7f]*$/, "has control characters");

const nullableList = <T extends z.ZodType>(item: T) =>
  z.array(item).nullish().transform((v) => v ?? []);

/** `cmdarg` of a data-section variable: how its command-line flag looks. */
export const CmdArgSchema = z.looseObject({
  default: z.unknown().optional(),
  long: ident.nullish(),
  short: ident.nullish(),
  help: z.string().nullish(),
});

/** One variable of `.rodata`/`.bss`: it becomes a program flag. */
export const VariableSchema = z.looseObject({
  name: ident,
  type: ident,
  value: z.unknown().optional(),
  description: z.string().nullish(),
  cmdarg: CmdArgSchema.nullish(),
});

/** A data section (`.rodata`, `.bss`) and its variables. */
export const DataSectionSchema = z.looseObject({
  name: ident,
  variables: z.array(VariableSchema),
});

/** `sample` of a map: the map is read every `interval` ms and printed. */
export const MapSampleSchema = z.looseObject({
  interval: z.number().int().nonnegative(),
  type: z.enum(["log2_hist", "linear_hist", "default_kv"]).default("default_kv"),
  unit: z.string().default("(unit)"),
  clear_map: z.boolean().default(false),
});

/** `export_config` of a map (multiple-export mode). */
export const ExportConfigSchema = z.union([
  z.enum(["no_export", "default"]),
  z.looseObject({ btf_type_id: z.number().int().nonnegative() }),
  z.looseObject({
    custom_members: z.array(
      z.looseObject({
        name: ident,
        offset: z.number().int().nonnegative(),
        btf_type_id: z.number().int().nonnegative(),
      }),
    ),
  }),
]);

/** A map the object defines, user map or internal data map. */
export const MapSchema = z.looseObject({
  name: ident,
  ident: ident,
  mmaped: z.boolean().default(false),
  sample: MapSampleSchema.nullish(),
  export_config: ExportConfigSchema.default("no_export"),
  intepreter: z.unknown().optional(),
});

/** A BPF program: function name, SEC string, and per-type attach extras. */
export const ProgSchema = z.looseObject({
  name: ident,
  attach: ident,
  link: z.boolean(),
});

/** The doc block above `LICENSE`. */
export const DocSchema = z.looseObject({
  version: z.string().nullish(),
  brief: z.string().nullish(),
  details: z.string().nullish(),
  description: z.string().nullish(),
});

/** `bpf_skel`: what the object holds. */
export const BpfSkelSchema = z.looseObject({
  obj_name: ident.min(1),
  data_sections: z.array(DataSectionSchema),
  maps: nullableList(MapSchema),
  progs: nullableList(ProgSchema),
  doc: DocSchema.nullish(),
});

/** One member of an exported struct (a display type string; layout comes from BTF). */
export const ExportMemberSchema = z.looseObject({ name: ident, type: ident });

/** An exported event type (legacy single-export mode uses the first). */
export const ExportTypeSchema = z.looseObject({
  name: ident,
  members: z.array(ExportMemberSchema),
  size: z.number().int().nonnegative(),
  type_id: z.number().int().nonnegative(),
});

/** The package's `meta` object (ecc's `<name>.skel.json`). */
export const MetaSchema = z.looseObject({
  bpf_skel: BpfSkelSchema,
  export_types: z.array(ExportTypeSchema).default([]),
  perf_buffer_pages: z.number().int().positive().default(64),
  perf_buffer_time_ms: z.number().int().nonnegative().default(10),
  poll_timeout_ms: z.number().int().default(100),
  debug_verbose: z.boolean().default(false),
  print_header: z.boolean().default(false),
  enable_multiple_export_types: z.boolean().default(false),
});

/** The whole package: base64(zlib(ELF)), its inflated size, and meta. */
export const PackageSchema = z.looseObject({
  bpf_object: z.string(),
  bpf_object_size: z.number().int().nonnegative(),
  meta: MetaSchema,
});

/** A validated `meta`, defaults applied. */
export type Meta = z.infer<typeof MetaSchema>;
/** A validated map entry. */
export type MapMeta = z.infer<typeof MapSchema>;
/** A validated program entry. */
export type ProgMeta = z.infer<typeof ProgSchema>;
/** A validated data-section variable. */
export type VariableMeta = z.infer<typeof VariableSchema>;
/** A validated exported struct. */
export type ExportTypeMeta = z.infer<typeof ExportTypeSchema>;
