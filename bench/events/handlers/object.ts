/**
 * The benchmark's `event` handler: reads what the C consumer reads (pid, tid, cpu, ts, seq,
 * comm) from the decoded object.
 * @module
 */
import type { Event } from "./event.d.ts";
import { touch } from "./touch.ts";

export default { event: (e: Event) => touch(e) };
