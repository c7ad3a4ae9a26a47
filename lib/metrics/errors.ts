/** A metrics option or config that cannot work (bad address, busy port, unknown map or field). */
export class MetricsError extends Error {
  override name = "MetricsError";
}
