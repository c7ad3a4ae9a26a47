/**
 * Follows process trees: the kernel reports execs of the watched parents' children only, and
 * this handler adds every reported child to the watched set, so grandchildren follow.
 *
 *   WATCH_PIDS=$$ ecli run execfilter/package.json --handler examples/execfilter/follow.ts
 */
import process from "node:process";
import type { Handler } from "./execfilter.d.ts";

export default {
  start(ctx) {
    for (const pid of (process.env.WATCH_PIDS ?? "").split(",").filter(Boolean)) {
      ctx.maps.watched.set(Number(pid), 1);
    }
    if (!ctx.maps.watched.keys().length) ctx.emit("WATCH_PIDS is empty: nothing to follow");
  },
  event(e, ctx) {
    // Steer the kernel side: from now on this process's children are reported too.
    ctx.maps.watched.set(e.pid, 1);
    return e;
  },
} satisfies Handler;
