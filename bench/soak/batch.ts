/** Soak handler: reads the benchmark's fields of every record of each batch; says how many at stop. */
import type { EventBatch } from "../events/handlers/event.d.ts";
import { touch } from "../events/handlers/touch.ts";

let n = 0;
export default {
  batch(events: EventBatch) {
    for (let i = 0; i < events.length; i++) touch(events.at(i));
    n += events.length;
  },
  stop() {
    console.error(`soak: handled ${n}`);
  },
};
