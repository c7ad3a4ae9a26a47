import { readFileSync } from "node:fs";
import process from "node:process";
import { TaskManager, type TaskManagerOptions } from "../tasks/mod.ts";
import { serverApp } from "./app.ts";
import { isLoopback } from "./auth.ts";
import { listen, type Listener } from "./listen.ts";

/** `ecli server`'s options. */
export interface ServerOptions {
  /** Address to bind (default 127.0.0.1). */
  addr?: string;
  /** Port (default 8527; 0 picks a free one). */
  port?: number;
  /** A file whose first line is the bearer token every request must carry. */
  tokenFile?: string;
  /** The token itself (the programmatic form of `tokenFile`). */
  token?: string;
  /** PEM certificate and key files: serve HTTPS. */
  tlsCert?: string;
  /** See `tlsCert`. */
  tlsKey?: string;
  /** Listen on this Unix socket (mode 0600) instead of TCP. */
  unix?: string;
  /** Largest request body in bytes (default 64 MiB). */
  bodyLimit?: number;
  /** Lines each task's log keeps (default 10,000). */
  logLines?: number;
  /** Program sources by `program_type`. */
  sources?: TaskManagerOptions["sources"];
  /** Diagnostics and the request log (default stderr). */
  log?: (line: string) => void;
}

/** Thrown for a server that must not start; the CLI prints it as one error line. */
export class ServerError extends Error {
  override name = "ServerError";
}

function readText(what: string, path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (e) {
    throw new ServerError(`${what} ${path}: ${(e as NodeJS.ErrnoException).code ?? e}`);
  }
}

/** A running server: its tasks and where it listens. */
export interface RunningServer {
  /** Its tasks. */
  manager: TaskManager;
  /** Where it listens. */
  listener: Listener;
  /** Stops every task (releasing everything they hold), then the listener. */
  close(): Promise<void>;
}

/**
 * Starts the task server: refuses a non-loopback address without a token, reads the token and
 * TLS files, and listens. Nothing is loaded until a client starts a task.
 */
export async function startServer(opts: ServerOptions = {}): Promise<RunningServer> {
  const log = opts.log ?? ((line: string) => console.error(line));
  const addr = opts.addr ?? "127.0.0.1";
  let token = opts.token;
  if (opts.tokenFile !== undefined) {
    token = readText("--token-file", opts.tokenFile).split("\n")[0].trim();
    if (!token) throw new ServerError(`--token-file ${opts.tokenFile}: the first line is empty`);
  }
  if (opts.unix === undefined && !isLoopback(addr) && token === undefined) {
    throw new ServerError(
      `refusing to listen on ${addr} without a token: anyone who reaches it could load BPF ` +
        `programs as root (give --token-file, or keep the default 127.0.0.1)`,
    );
  }
  if ((opts.tlsCert === undefined) !== (opts.tlsKey === undefined)) {
    throw new ServerError("--tls-cert and --tls-key go together");
  }
  const tls = opts.tlsCert !== undefined
    ? { cert: readText("--tls-cert", opts.tlsCert), key: readText("--tls-key", opts.tlsKey!) }
    : undefined;
  const manager = new TaskManager({
    sources: opts.sources,
    logLines: opts.logLines,
    diagnostic: (line) => log(`ecli-server: ${line}`),
  });
  const app = serverApp(manager, { token, bodyLimit: opts.bodyLimit, log });
  let listener: Listener;
  try {
    listener = await listen((req, peer) => app.fetch(req, peer), {
      hostname: addr,
      port: opts.port,
      unix: opts.unix,
      tls,
    });
  } catch (e) {
    throw new ServerError(
      `cannot listen on ${opts.unix ?? `${addr}:${opts.port ?? 8527}`}: ${(e as Error).message}`,
    );
  }
  let closing: Promise<void> | undefined;
  return {
    manager,
    listener,
    close: () =>
      closing ??= (async () => {
        await manager.stopAll();
        await listener.shutdown();
      })(),
  };
}

/**
 * `ecli server`: starts the server, says where it listens, and on SIGINT/SIGTERM stops every
 * task, releases everything and returns 0.
 */
export async function runServer(opts: ServerOptions = {}): Promise<number> {
  const log = opts.log ?? ((line: string) => console.error(line));
  const server = await startServer({ ...opts, log });
  log(
    `ecli-server: listening on ${server.listener.url}${
      opts.token || opts.tokenFile ? " (token required)" : ""
    }`,
  );
  await new Promise<void>((resolve) => {
    const stop = (sig: string) => {
      process.off("SIGINT", onInt);
      process.off("SIGTERM", onTerm);
      const n = server.manager.list().length;
      log(`ecli-server: ${sig}: stopping ${n} task${n === 1 ? "" : "s"}`);
      server.close().then(() => {
        log(`ecli-server: stopped`);
        resolve();
      }, (e) => {
        log(`ecli-server: error while stopping: ${(e as Error).message}`);
        resolve();
      });
    };
    const onInt = () => stop("SIGINT");
    const onTerm = () => stop("SIGTERM");
    process.on("SIGINT", onInt);
    process.on("SIGTERM", onTerm);
  });
  return 0;
}
