import { Buffer } from "node:buffer";
import type { LogEntry, TaskInfo } from "../tasks/mod.ts";

/** Where `ecli client` talks to when nothing says otherwise (upstream's default). */
export const DEFAULT_ENDPOINT = "http://127.0.0.1:8527";

/** A request the server could not be asked, or answered with an error; one line. */
export class ClientError extends Error {
  override name = "ClientError";
}

/** What `start` sends (upstream's `POST /task` body). */
export interface StartRequest {
  /** The program file's bytes (sent as unpadded base64, as upstream's client does). */
  bytes: Uint8Array;
  /** `json`, `tar` or `wasm`. */
  type: string;
  /** Task name. */
  name?: string;
  /** The program's own flags. */
  args?: string[];
  /** JSON lines instead of the plain table. */
  exportJson?: boolean;
  /** A kernel BTF path on the server. */
  btfArchivePath?: string;
}

type FetchInit = RequestInit & { client?: unknown; unix?: string };

/**
 * A client of `ecli server`'s HTTP API. `endpoint` is `http(s)://host:port` or `unix:/path`
 * (the server's `--unix` socket).
 */
export class TaskClient {
  #base: string;
  #init: FetchInit = {};

  /** Talks to `endpoint`, sending `token` as a bearer token when given. */
  constructor(readonly endpoint: string = DEFAULT_ENDPOINT, readonly token?: string) {
    if (endpoint.startsWith("unix:")) {
      const path = endpoint.slice(5);
      this.#base = "http://localhost";
      const deno = (globalThis as { Deno?: { createHttpClient?: (o: unknown) => unknown } }).Deno;
      if ((globalThis as { Bun?: unknown }).Bun) this.#init.unix = path;
      else if (deno?.createHttpClient) {
        this.#init.client = deno.createHttpClient({ proxy: { transport: "unix", path } });
      }
    } else {
      let url: URL;
      try {
        url = new URL(endpoint);
      } catch {
        throw new ClientError(
          `endpoint '${endpoint}' is not a URL (http://host:port or unix:PATH)`,
        );
      }
      if (url.protocol !== "http:" && url.protocol !== "https:") {
        throw new ClientError(`endpoint '${endpoint}': only http, https and unix: are supported`);
      }
      this.#base = endpoint.replace(/\/+$/, "");
    }
  }

  async #fetch(method: string, path: string, body?: unknown): Promise<Response> {
    const headers: Record<string, string> = {};
    if (body !== undefined) headers["content-type"] = "application/json";
    if (this.token !== undefined) headers.authorization = `Bearer ${this.token}`;
    let res: Response;
    try {
      res = await fetch(`${this.#base}${path}`, {
        ...this.#init,
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
      } as RequestInit);
    } catch (e) {
      const cause = (e as { cause?: { message?: string } }).cause?.message;
      throw new ClientError(`cannot reach ${this.endpoint}: ${cause ?? (e as Error).message}`);
    }
    if (!res.ok) {
      const text = await res.text();
      let message = text;
      try {
        message = JSON.parse(text).message ?? text;
      } catch { /* not JSON: the text itself */ }
      throw new ClientError(`${this.endpoint} answered ${res.status}: ${message}`);
    }
    return res;
  }

  async #json<T>(method: string, path: string, body?: unknown): Promise<T> {
    return await (await this.#fetch(method, path, body)).json() as T;
  }

  /** Uploads a program and starts it; returns the task id. */
  async start(req: StartRequest): Promise<number> {
    const r = await this.#json<{ id: number }>("POST", "/task", {
      program_data_buf: Buffer.from(req.bytes).toString("base64").replace(/=+$/, ""),
      program_type: req.type,
      program_name: req.name,
      btf_archive_path: req.btfArchivePath,
      extra_args: req.args ?? [],
      export_json: req.exportJson ?? false,
    });
    return r.id;
  }

  /** Every task. */
  async list(): Promise<TaskInfo[]> {
    return (await this.#json<{ tasks: TaskInfo[] }>("GET", "/task")).tasks;
  }

  /** Stops a task and removes it. */
  async stop(id: number): Promise<void> {
    await this.#json("POST", "/stop", { id });
  }

  /** Pauses a task; returns its status (`paused`). */
  async pause(id: number): Promise<string> {
    return await this.#json<string>("POST", "/pause", { id });
  }

  /** Resumes a task; returns its status (`running`). */
  async resume(id: number): Promise<string> {
    return await this.#json<string>("POST", "/resume", { id });
  }

  /** Upstream's destructive log read: lines below `cursor` are removed first. */
  async log(id: number, cursor?: number, max?: number): Promise<LogEntry[]> {
    return await this.#json<LogEntry[]>("POST", "/log", {
      id,
      log_cursor: cursor,
      maximum_count: max,
    });
  }

  /** Streams a task's log from `cursor` (removing nothing) until it ends or `signal` aborts. */
  async *follow(id: number, cursor = 0, signal?: AbortSignal): AsyncGenerator<LogEntry> {
    const res = await this.#fetch("GET", `/task/${id}/log?follow=1&cursor=${cursor}`);
    const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
    signal?.addEventListener("abort", () => reader.cancel().catch(() => {}), { once: true });
    let rest = "";
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        rest += value;
        const lines = rest.split("\n");
        rest = lines.pop()!;
        for (const l of lines) if (l) yield JSON.parse(l) as LogEntry;
      }
    } catch (e) {
      if (signal?.aborted) return;
      throw new ClientError(
        `${this.endpoint}: log stream of task ${id} broke: ${(e as Error).message}`,
      );
    } finally {
      reader.releaseLock();
    }
  }
}
