/**
 * The run side of `ecli trace`: printing its in-kernel aggregations (`--count-by`, `--hist`).
 * @module
 */
export * from "./aggregate.ts";
