/**
 * The benchmark's no-op `event` handler: reads nothing, only counts (so the real CLI's drain
 * rows can tell when the last event was handed over; see `counted`).
 * @module
 */
import { counted } from "./touch.ts";

export default { event: (_e: unknown) => counted() };
