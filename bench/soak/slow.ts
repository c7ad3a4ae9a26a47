/**
 * Soak handler, slow and async: every event awaits a microtask, every 256th a 1 ms timer, so
 * the run's queue fills under a flood and ecli drops (and counts) what does not fit.
 */
let n = 0;
export default {
  async event() {
    n++;
    if (n % 256 === 0) await new Promise((r) => setTimeout(r, 1));
    else await Promise.resolve();
  },
  stop() {
    console.error(`soak: handled ${n}`);
  },
};
