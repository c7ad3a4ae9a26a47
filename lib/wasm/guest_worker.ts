/// <reference no-default-lib="true" />
/// <reference lib="deno.worker" />
/**
 * The worker a guest runs in: a guest's `_start` is one long synchronous call (its poll loop
 * never returns to the event loop), so it gets a thread of its own and the parent stays free
 * for signals, a server's requests and the guest's output. Stop and pause reach it through a
 * shared word that every host call checks.
 */
import { type GuestJob, runGuest } from "./guest.ts";

self.onmessage = async (e: MessageEvent<GuestJob>) => {
  const result = await runGuest(
    e.data,
    (fd, bytes) => self.postMessage({ t: "out", fd, bytes }),
    (handle, record) => self.postMessage({ t: "track", handle, record }),
  );
  self.postMessage({ t: "done", ...result });
};
