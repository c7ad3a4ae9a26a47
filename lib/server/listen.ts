import { chmodSync, rmSync, statSync } from "node:fs";
import process from "node:process";
import type { Peer } from "./app.ts";

/** Where and how to listen. */
export interface ListenOptions {
  /** Address to bind (TCP). */
  hostname?: string;
  /** Port (TCP; 0 picks a free one). */
  port?: number;
  /** A Unix socket path instead of TCP; created mode 0600. */
  unix?: string;
  /** PEM certificate chain and key: serve HTTPS. */
  tls?: { cert: string; key: string };
}

/** A listening server. */
export interface Listener {
  /** `http://host:port`, `https://…` or `unix:/path`. */
  url: string;
  /** Stops accepting, waits for open responses to finish, removes a Unix socket. */
  shutdown(): Promise<void>;
}

type Fetch = (req: Request, peer: Peer) => Response | Promise<Response>;

interface BunServer {
  port: number;
  requestIP(req: Request): { address: string } | null;
  stop(closeActive?: boolean): Promise<void> | void;
}
interface BunGlobal {
  serve(opts: Record<string, unknown>): BunServer;
}

/**
 * Serves `fetch` on the runtime's own HTTP server (`Deno.serve` or `Bun.serve`): the one place
 * outside ffi/ that needs to know which runtime it is on, since neither has the other's server.
 */
export async function listen(fetch: Fetch, opts: ListenOptions): Promise<Listener> {
  const scheme = opts.tls ? "https" : "http";
  const host = opts.hostname ?? "127.0.0.1";
  const hostForUrl = host.includes(":") ? `[${host}]` : host;
  if (opts.unix) {
    // A stale socket from a crashed server would make bind fail with EADDRINUSE.
    try {
      if (statSync(opts.unix).isSocket()) rmSync(opts.unix);
    } catch { /* not there */ }
  }
  // The socket is created 0600 from the start (umask), not chmod-ed after others could connect.
  const umask = opts.unix ? process.umask(0o177) : undefined;
  try {
    const bun = (globalThis as { Bun?: BunGlobal }).Bun;
    if (bun) {
      const server = bun.serve({
        ...(opts.unix ? { unix: opts.unix } : { hostname: host, port: opts.port ?? 8527 }),
        ...(opts.tls ? { tls: opts.tls } : {}),
        idleTimeout: 0,
        fetch: (req: Request, s: BunServer) => fetch(req, { remote: s.requestIP(req)?.address }),
      });
      if (opts.unix) chmodSync(opts.unix, 0o600);
      return {
        url: opts.unix ? `unix:${opts.unix}` : `${scheme}://${hostForUrl}:${server.port}`,
        shutdown: async () => {
          await server.stop(false);
          if (opts.unix) rmSync(opts.unix, { force: true });
        },
      };
    }
    let port = 0;
    const ready = Promise.withResolvers<void>();
    const handler = (req: Request, info: Deno.ServeHandlerInfo) =>
      fetch(req, { remote: (info.remoteAddr as Deno.NetAddr).hostname });
    const server = opts.unix
      ? Deno.serve({ path: opts.unix, onListen: () => ready.resolve() }, handler)
      : Deno.serve({
        hostname: host,
        port: opts.port ?? 8527,
        ...(opts.tls ?? {}),
        onListen: (a) => {
          port = a.port;
          ready.resolve();
        },
      }, handler);
    await ready.promise;
    if (opts.unix) chmodSync(opts.unix, 0o600);
    return {
      url: opts.unix ? `unix:${opts.unix}` : `${scheme}://${hostForUrl}:${port}`,
      shutdown: async () => {
        await server.shutdown();
        if (opts.unix) rmSync(opts.unix, { force: true });
      },
    };
  } finally {
    if (umask !== undefined) process.umask(umask);
  }
}
