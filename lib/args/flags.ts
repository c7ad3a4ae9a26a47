import { type Btf, Kind, typeName } from "../btf/mod.ts";
import type { Meta } from "../package/mod.ts";
import { encodeValue, isBoolType, type RawValue } from "./encode.ts";
import { ArgError } from "./errors.ts";

/** One command-line flag generated from a `.rodata`/`.bss`/`.data` variable. */
export interface ProgramFlag {
  /** Variable name. */
  variable: string;
  /** Data section holding it (`.rodata`). */
  section: string;
  /** BTF type id of the variable's type. */
  typeId: number;
  /** C type name, for help and errors. */
  type: string;
  /** Offset inside the section. */
  offset: number;
  /** Long name without dashes (`cmdarg.long` or the variable name). */
  long: string;
  /** One-character short name (not for switches, as upstream). */
  short?: string;
  /** Help text. */
  help: string;
  /** A bool variable: a switch, no value. */
  switch: boolean;
  /** Default from `cmdarg.default` or `value`; absent: the object's initial value is kept. */
  defaultValue?: RawValue;
}

/** The name a switch is shown with: `--x`, `--enable-x` (default false), `--disable-x`. */
export function switchName(flag: ProgramFlag): string {
  if (flag.defaultValue === true) return `disable-${flag.long}`;
  if (flag.defaultValue === false) return `enable-${flag.long}`;
  return flag.long;
}

function defaultOf(v: Meta["bpf_skel"]["data_sections"][number]["variables"][number]) {
  const d = v.cmdarg?.default ?? v.value;
  if (d === undefined || d === null) return undefined;
  if (typeof d === "object") {
    throw new ArgError(
      `variable ${v.name}: default ${
        JSON.stringify(d).slice(0, 40)
      } is not a number, string or bool`,
    );
  }
  return d as RawValue;
}

/**
 * The flags a package's variables give, as upstream builds them: every variable of every data
 * section except `__eunomia_dummy*`; long name = `cmdarg.long` or the name; help = `cmdarg.help`,
 * the description, or ``Set value of `TYPE` variable NAME``. Types and layout come from BTF.
 */
export function programFlags(meta: Meta, btf: Btf): ProgramFlag[] {
  const flags: ProgramFlag[] = [];
  for (const sec of meta.bpf_skel.data_sections) {
    const datasec = btf.find(sec.name, Kind.DATASEC);
    for (const v of sec.variables) {
      if (v.name.startsWith("__eunomia_dummy")) continue;
      const vsi = datasec?.vars.find((x) => btf.type(x.type).name === v.name);
      if (!vsi) {
        throw new ArgError(`variable ${v.name} of ${sec.name} is not in the object's BTF`);
      }
      const varType = btf.type(vsi.type);
      const typeId = varType.kind === Kind.VAR ? varType.type : vsi.type;
      const isSwitch = isBoolType(btf, typeId);
      const defaultValue = defaultOf(v);
      if (isSwitch && defaultValue !== undefined && typeof defaultValue !== "boolean") {
        throw new ArgError(`variable ${v.name}: a bool's default must be true or false`);
      }
      const short = v.cmdarg?.short ?? undefined;
      if (short !== undefined && [...short].length !== 1) {
        throw new ArgError(`variable ${v.name}: short name '${short}' must be one character`);
      }
      const type = typeName(btf, typeId);
      flags.push({
        variable: v.name,
        section: sec.name,
        typeId,
        type,
        offset: vsi.offset,
        long: v.cmdarg?.long ?? v.name,
        short: isSwitch ? undefined : short,
        help: v.cmdarg?.help ?? v.description ?? `Set value of \`${type}\` variable ${v.name}`,
        switch: isSwitch,
        defaultValue,
      });
    }
  }
  return flags;
}

/** What the program's command line asked for. */
export interface ParsedProgramArgs {
  /** Value of each variable given on the command line or by a default. */
  values: Map<string, RawValue>;
  /** `--verbose`. */
  verbose: boolean;
  /** `-h`/`--help`. */
  help: boolean;
  /** `-V`/`--version`. */
  version: boolean;
}

/**
 * Parses program flags (`--long VALUE`, `--long=VALUE`, `-s VALUE`, `-sVALUE`, switches as
 * `--x`/`--enable-x`/`--disable-x`). Unknown flags, missing values and stray arguments are
 * `ArgError`s naming the flag.
 */
export function parseProgramArgs(flags: ProgramFlag[], argv: string[]): ParsedProgramArgs {
  const out: ParsedProgramArgs = { values: new Map(), verbose: false, help: false, version: false };
  for (const f of flags) {
    if (f.defaultValue !== undefined) out.values.set(f.variable, f.defaultValue);
  }
  const byLong = new Map<string, { flag: ProgramFlag; set?: boolean }>();
  for (const f of flags) {
    if (f.switch) {
      byLong.set(f.long, { flag: f, set: true });
      byLong.set(`enable-${f.long}`, { flag: f, set: true });
      byLong.set(`disable-${f.long}`, { flag: f, set: false });
    } else byLong.set(f.long, { flag: f });
  }
  const byShort = new Map(flags.filter((f) => f.short).map((f) => [f.short!, f]));
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "-h" || arg === "--help") out.help = true;
    else if (arg === "-V" || arg === "--version") out.version = true;
    else if (arg === "--verbose") out.verbose = true;
    else if (arg.startsWith("--")) {
      const eq = arg.indexOf("=");
      const name = arg.slice(2, eq < 0 ? undefined : eq);
      const hit = byLong.get(name);
      if (!hit) throw new ArgError(`unknown program flag '--${name}'`);
      const { flag, set } = hit;
      if (set !== undefined) {
        if (eq >= 0) throw new ArgError(`--${name} is a switch and takes no value`);
        out.values.set(flag.variable, set);
        continue;
      }
      let value: string;
      if (eq >= 0) value = arg.slice(eq + 1);
      else if (i + 1 < argv.length) value = argv[++i];
      else throw new ArgError(`--${name} needs a value (${flag.type})`);
      out.values.set(flag.variable, value);
    } else if (arg.startsWith("-") && arg.length > 1) {
      const flag = byShort.get(arg[1]);
      if (!flag) throw new ArgError(`unknown program flag '${arg.slice(0, 2)}'`);
      let value: string;
      if (arg.length > 2) value = arg.slice(2);
      else if (i + 1 < argv.length) value = argv[++i];
      else throw new ArgError(`-${flag.short} needs a value (${flag.type})`);
      out.values.set(flag.variable, value);
    } else throw new ArgError(`unexpected argument '${arg}'`);
  }
  return out;
}

/** Bytes to write into a data section at an offset, for one variable. */
export interface VariableImage {
  /** Data section (`.rodata`). */
  section: string;
  /** Variable name. */
  name: string;
  /** Offset inside the section. */
  offset: number;
  /** Encoded value. */
  bytes: Uint8Array;
}

/** Encodes every value the command line or a default gave, ready for the loader. */
export function variableImages(
  flags: ProgramFlag[],
  values: Map<string, RawValue>,
  btf: Btf,
): VariableImage[] {
  const images: VariableImage[] = [];
  for (const f of flags) {
    const v = values.get(f.variable);
    if (v === undefined) continue;
    const shown = f.switch ? `--${switchName(f)}` : `--${f.long}`;
    images.push({
      section: f.section,
      name: f.variable,
      offset: f.offset,
      bytes: encodeValue(btf, f.typeId, v, shown),
    });
  }
  return images;
}
