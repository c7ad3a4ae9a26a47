/** Soak handler: reads the benchmark's fields through each event's view; says how many at stop. */
import type { EventView } from "../events/handlers/event.d.ts";
import { touch } from "../events/handlers/touch.ts";

let n = 0;
export default {
  view(v: EventView) {
    touch(v);
    n++;
  },
  stop() {
    console.error(`soak: handled ${n}`);
  },
};
