/**
 * `GET /metrics` over HTTP (node:http, the same in Deno, Bun and the compiled executable):
 * Prometheus text, or OpenMetrics when the scraper's `Accept` asks for it. The endpoint
 * renders whatever registries its source returns at scrape time, so `ecli server` can serve
 * one task's registry or all of them from the same code.
 * @module
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { MetricsError } from "./errors.ts";
import { CONTENT_TYPES, negotiateFormat, renderMetrics } from "./exposition.ts";
import type { MetricRegistry } from "./registry.ts";

/** A listen address: host and port. */
export interface ListenAddress {
  /** IP address or name (IPv6 without brackets). */
  host: string;
  /** TCP port; 0 picks a free one. */
  port: number;
}

/**
 * Parses `HOST:PORT`, `[IPv6]:PORT`, `:PORT` or `PORT` (the last two listen on 127.0.0.1).
 * `MetricsError` names the flag and what is wrong.
 */
export function parseListenAddress(text: string, flag = "--metrics"): ListenAddress {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]*)):(\d+)$/.exec(text) ?? /^()()(\d+)$/.exec(text);
  if (!m) throw new MetricsError(`${flag} '${text}': expected HOST:PORT, e.g. 127.0.0.1:9464`);
  const port = Number(m[3]);
  if (!Number.isInteger(port) || port > 65535) {
    throw new MetricsError(`${flag} '${text}': port must be 0-65535`);
  }
  return { host: m[1] || m[2] || "127.0.0.1", port };
}

/** A scrape's reply. */
export interface ScrapeResponse {
  /** HTTP status. */
  status: number;
  /** `Content-Type`. */
  contentType: string;
  /** The body. */
  body: string;
}

/**
 * The reply to `GET /metrics` for `registries`, in the format `accept` asks for. Routes of a
 * bigger server (per task, aggregate) call this with the registries they pick.
 */
export function scrape(
  registries: Iterable<MetricRegistry>,
  accept?: string | null,
): ScrapeResponse {
  const format = negotiateFormat(accept);
  return {
    status: 200,
    contentType: CONTENT_TYPES[format],
    body: renderMetrics(registries, format),
  };
}

/** A listening `/metrics` endpoint. */
export interface MetricsEndpoint {
  /** The address bound (the real port when 0 was asked). */
  address: ListenAddress;
  /** Scrapes answered so far. */
  scrapes: number;
  /** Stops listening and closes open connections. */
  close(): Promise<void>;
}

function reply(res: ServerResponse, r: ScrapeResponse) {
  res.writeHead(r.status, { "content-type": r.contentType });
  res.end(r.body);
}

/**
 * Listens on `address` and serves `GET /metrics` from `registries()`; resolves once bound.
 * A busy port or an address not on this host is a `MetricsError` naming it.
 */
export function serveMetrics(
  address: ListenAddress,
  registries: () => Iterable<MetricRegistry>,
  flag = "--metrics",
): Promise<MetricsEndpoint> {
  let scrapes = 0;
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? "/").split("?")[0];
    if (path !== "/metrics") {
      return reply(res, {
        status: 404,
        contentType: "text/plain; charset=utf-8",
        body: "try /metrics\n",
      });
    }
    if (req.method !== "GET" && req.method !== "HEAD") {
      return reply(res, {
        status: 405,
        contentType: "text/plain; charset=utf-8",
        body: "GET only\n",
      });
    }
    scrapes++;
    reply(res, scrape(registries(), req.headers.accept));
  });
  const shown = address.host.includes(":")
    ? `[${address.host}]:${address.port}`
    : `${address.host}:${address.port}`;
  return new Promise((resolve, reject) => {
    server.once("error", (e: NodeJS.ErrnoException) => {
      const why = e.code === "EADDRINUSE"
        ? "address already in use"
        : e.code === "EADDRNOTAVAIL"
        ? "address not available on this host"
        : e.code === "EACCES"
        ? "permission denied"
        : e.code === "ENOTFOUND" || e.code === "EAI_NONAME"
        ? "unknown host"
        : e.message;
      reject(new MetricsError(`${flag} ${shown}: cannot listen: ${why}`));
    });
    server.listen({ host: address.host, port: address.port }, () => {
      const a = server.address();
      const port = a && typeof a === "object" ? a.port : address.port;
      resolve({
        address: { host: address.host, port },
        get scrapes() {
          return scrapes;
        },
        close: () =>
          new Promise<void>((done) => {
            server.closeAllConnections?.();
            server.close(() => done());
          }),
      });
    });
  });
}
