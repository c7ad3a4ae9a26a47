/** The benchmark's user handler: receives every event and does nothing. */
export default (_event: unknown) => {};
