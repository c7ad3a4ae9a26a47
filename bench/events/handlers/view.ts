/**
 * The benchmark's `view` handler: the same fields as `object.ts`, read through the view.
 * @module
 */
import type { EventView } from "./event.d.ts";
import { touch } from "./touch.ts";

export default { view: (v: EventView) => touch(v) };
