import type { Btf } from "../btf/mod.ts";
import { buildDecoder, buildRowDecoder, structFields } from "../decode/mod.ts";
import type { SampledEntry } from "../export/mod.ts";
import {
  type Clock,
  formatKvHeader,
  formatKvRow,
  formatLinearHistEntry,
  formatLog2HistEntry,
  formatTableHeader,
  formatTableRow,
  toJsonLine,
} from "../format/mod.ts";
import { buildJsonLineEncoder } from "../format/json_line.ts";
import { buildTableRowEncoder } from "../format/table_row.ts";
import type { ExportPlan } from "./exports.ts";
import { FdOutput, type Output } from "./output.ts";

/** Output format of a run. */
export type OutputFormat = "plain" | "json";

/** Prints one export's data: a header (plain text) and records or sampled entries. */
export interface Printer {
  /** Printed once before the first event (plain-text table and key/value headers). */
  header?: string;
  /** Decodes and prints one record (ring/perf buffers). */
  record?(bytes: Uint8Array): void;
  /** The same for a record given as `length` bytes at `offset` of `view` (ring buffers). */
  recordAt?(view: DataView, offset: number, length: number): void;
  /** Prints one sampling round (sampled maps). */
  sample?(entries: SampledEntry[]): void;
}

/**
 * Builds the printer of an export: decoders are made once here, so each event costs one
 * generated decode and one format call.
 */
export function makePrinter(
  plan: ExportPlan,
  btf: Btf,
  format: OutputFormat,
  out: Output,
  clock: Clock = Date.now,
): Printer {
  if (plan.kind !== "sample") {
    if (format === "json") {
      const line = buildJsonLineEncoder(btf, plan.typeId);
      if (line && out instanceof FdOutput) {
        return {
          record: (b) => out.writeEncoded(line, b),
          recordAt: (v, o, n) => out.writeEncodedAt(line, v, o, n),
        };
      }
      const decode = buildDecoder(btf, plan.typeId);
      const at = decode.at;
      return {
        record: (b) => out.write(toJsonLine(decode(b)) + "\n"),
        recordAt: (v, o, n) => out.write(toJsonLine(at(v, o, n)) + "\n"),
      };
    }
    const fields = structFields(btf, plan.typeId);
    const { header, columns } = formatTableHeader(fields.map((f) => f.name));
    const line = out instanceof FdOutput && buildTableRowEncoder(btf, fields, columns, clock);
    if (line) {
      return {
        header: header + "\n",
        record: (b) => out.writeEncoded(line, b),
        recordAt: (v, o, n) => out.writeEncodedAt(line, v, o, n),
      };
    }
    const row = buildRowDecoder(btf, fields);
    return {
      header: header + "\n",
      record: (b) => out.write(formatTableRow(columns, row(b), clock) + "\n"),
      recordAt: (v, o, n) => out.write(formatTableRow(columns, row.at(v, o, n), clock) + "\n"),
    };
  }
  const key = buildDecoder(btf, plan.keyTypeId);
  const value = buildDecoder(btf, plan.valueTypeId);
  const sample = plan.map.sample!;
  // As upstream: a scalar key or value is shown as one field named after its type.
  const named = (id: number, decode: (b: Uint8Array) => unknown) => {
    if (structFields(btf, id)[0]?.name) return decode;
    const name = btf.type(id).name || "value";
    return (b: Uint8Array) => ({ [name]: decode(b) });
  };
  const keyObj = named(plan.keyTypeId, key);
  const valueObj = named(plan.valueTypeId, value);
  if (format === "json") {
    return {
      sample: (entries) => {
        for (const [k, v] of entries) {
          out.write(toJsonLine({ key: keyObj(k), value: valueObj(v) }) + "\n");
        }
      },
    };
  }
  switch (sample.type) {
    case "log2_hist":
      return {
        sample: (entries) => {
          for (const [k, v] of entries) {
            out.write(formatLog2HistEntry(key(k), value(v), sample.unit));
          }
        },
      };
    case "linear_hist":
      return {
        sample: (entries) => {
          for (const [k, v] of entries) {
            out.write(formatLinearHistEntry(key(k), value(v), { unit: sample.unit }));
          }
        },
      };
    default: {
      const names = (id: number) => structFields(btf, id).map((f) => f.name || btf.type(id).name);
      return {
        header: formatKvHeader(names(plan.keyTypeId), names(plan.valueTypeId)) + "\n",
        sample: (entries) => {
          for (const [k, v] of entries) {
            out.write(formatKvRow(keyObj(k), valueObj(v), clock) + "\n");
          }
        },
      };
    }
  }
}
