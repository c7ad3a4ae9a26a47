/**
 * The benchmark's `batch` handler: the same fields as `object.ts`, for every record of a batch.
 * @module
 */
import type { EventBatch } from "./event.d.ts";
import { touch } from "./touch.ts";

export default {
  batch(events: EventBatch) {
    for (let i = 0; i < events.length; i++) touch(events.at(i));
  },
};
