import type { MapHandle } from "../handler/mod.ts";
import type { ConsumerSetup } from "./runner.ts";

/** Handles for `ctx.maps`: filled in once map handles exist. */
export function mapHandles(_setup: ConsumerSetup): Record<string, MapHandle> {
  return {};
}
