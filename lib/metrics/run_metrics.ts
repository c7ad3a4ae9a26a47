/**
 * The metrics of one `ecli run`: options checked before anything is loaded (address, URL,
 * config file), the `/metrics` endpoint bound before the programs attach (a busy port costs
 * nothing), the consumer tap, and a final OTLP push at the end.
 * @module
 */
import type { ConsumerSetup, EventConsumer } from "../run/mod.ts";
import { loadMetricsConfig, type MetricsConfig } from "./config.ts";
import { metricsConsumer } from "./consumer.ts";
import { type MetricsEndpoint, parseListenAddress, serveMetrics } from "./endpoint.ts";
import { otlpMetricsUrl, OtlpPusher } from "./otlp.ts";
import { MetricRegistry } from "./registry.ts";

/** What `--metrics`, `--metrics-config`, `--metrics-max-series`, `--otlp`, `--otlp-interval` ask. */
export interface RunMetricsOptions {
  /** `HOST:PORT` of the `/metrics` endpoint. */
  listen?: string;
  /** OTLP/HTTP endpoint URL. */
  otlp?: string;
  /** Push period in ms (default 60000, the OpenTelemetry SDK's default). */
  otlpIntervalMs?: number;
  /** `--metrics-config` file. */
  configPath?: string;
  /** Series per metric (overrides the config's `max_series`). */
  maxSeries?: number;
  /** Diagnostics. */
  log?: (line: string) => void;
}

/** The metrics side of a running package. */
export interface RunMetrics {
  /** The run's registry. */
  registry: MetricRegistry;
  /** The listening endpoint, with `listen`. */
  endpoint?: MetricsEndpoint;
  /** The OTLP pusher, with `otlp`. */
  pusher?: OtlpPusher;
  /** Wraps the run's consumer factory so its data also becomes metrics. */
  consumer(inner: (setup: ConsumerSetup) => EventConsumer): (setup: ConsumerSetup) => EventConsumer;
  /** Pushes a last time and stops listening. */
  close(): Promise<void>;
}

/** Default OTLP push period (ms). */
export const DEFAULT_OTLP_INTERVAL_MS = 60_000;

/** Validates the options, binds the endpoint and prepares the pusher. */
export async function startRunMetrics(opts: RunMetricsOptions): Promise<RunMetrics> {
  const log = opts.log ?? ((l: string) => console.error(l));
  const address = opts.listen !== undefined ? parseListenAddress(opts.listen) : undefined;
  const url = opts.otlp !== undefined ? otlpMetricsUrl(opts.otlp) : undefined;
  const config: MetricsConfig = opts.configPath !== undefined
    ? await loadMetricsConfig(opts.configPath)
    : { maps: {}, events: {} };
  const registry = new MetricRegistry({ maxSeries: opts.maxSeries ?? config.max_series });
  const endpoint = address ? await serveMetrics(address, () => [registry]) : undefined;
  const pusher = url
    ? new OtlpPusher(url, () => [registry], opts.otlpIntervalMs ?? DEFAULT_OTLP_INTERVAL_MS, log)
    : undefined;
  return {
    registry,
    endpoint,
    pusher,
    consumer(inner) {
      const wrapped = metricsConsumer(registry, config, inner);
      return (setup) => {
        const c = wrapped(setup);
        // Said once the config has been checked against the package: an error stays one line.
        if (endpoint) {
          const { host, port } = endpoint.address;
          log(`ecli: metrics on http://${host.includes(":") ? `[${host}]` : host}:${port}/metrics`);
        }
        pusher?.start();
        return c;
      };
    },
    async close() {
      await pusher?.close();
      await endpoint?.close();
    },
  };
}
