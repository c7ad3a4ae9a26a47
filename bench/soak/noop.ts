/** Soak handler: counts events and does nothing else; says how many at stop. */
let n = 0;
export default {
  event() {
    n++;
  },
  stop() {
    console.error(`soak: handled ${n}`);
  },
};
