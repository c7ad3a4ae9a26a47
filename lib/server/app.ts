import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { Context } from "hono";
import type { z } from "zod";
import { type LogEntry, TaskError, type TaskLog, type TaskManager } from "../tasks/mod.ts";
import { bearerMatches } from "./auth.ts";
import {
  decodeBase64,
  firstIssue,
  FollowQuery,
  IdRequest,
  LogRequest,
  startRequest,
} from "./schema.ts";

/** Request bodies larger than this answer 413 unless configured otherwise (64 MiB). */
export const DEFAULT_BODY_LIMIT = 64 << 20;

/** What the routes need besides the tasks. */
export interface AppOptions {
  /** When set, every request needs `Authorization: Bearer <token>`. */
  token?: string;
  /** Largest request body in bytes (default 64 MiB). */
  bodyLimit?: number;
  /** One line per request: `<client> <METHOD> <path?query> <status> <secs>s` (default stderr). */
  log?: (line: string) => void;
}

/** The runtime's per-request context: the peer address, when the listener knows it. */
export interface Peer {
  /** The client's address. */
  remote?: string;
}

type Env = { Bindings: Peer };

/** An error answered as `{"message": …}` with `status`. */
class HttpError extends Error {
  constructor(readonly status: 400 | 401 | 404 | 413 | 500, message: string) {
    super(message);
  }
}

async function body<T extends z.ZodType>(c: Context<Env>, schema: T): Promise<z.infer<T>> {
  let raw: unknown;
  try {
    raw = JSON.parse(await c.req.text());
  } catch (e) {
    if (e instanceof SyntaxError) {
      throw new HttpError(400, `request body is not JSON: ${e.message}`);
    }
    throw e;
  }
  const r = schema.safeParse(raw);
  if (!r.success) throw new HttpError(400, firstIssue(r.error));
  return r.data;
}

/** Calls the manager; its errors become their status and message. */
async function tasks<T>(run: () => Promise<T> | T, prefix?: string): Promise<T> {
  try {
    return await run();
  } catch (e) {
    if (e instanceof TaskError) throw new HttpError(e.status, e.message);
    // Anything else comes from loading the program: the loader's one line.
    if (prefix !== undefined) throw new HttpError(400, `${prefix}${(e as Error).message}`);
    throw e;
  }
}

/**
 * The HTTP API over a `TaskManager`: upstream's routes and JSON shapes (`GET /task`,
 * `POST /task|/stop|/log|/pause|/resume`, errors as `{"message": …}`), plus
 * `GET /task/{id}/log[?follow=1][&cursor=N]`, the log as NDJSON (one upstream log entry per
 * line) that stays open with `follow=1` until the task ends. Reading it removes nothing.
 */
export function serverApp(manager: TaskManager, opts: AppOptions = {}): Hono<Env> {
  const app = new Hono<Env>();
  const log = opts.log ?? ((line: string) => console.error(line));
  const limit = opts.bodyLimit ?? DEFAULT_BODY_LIMIT;
  const StartRequest = startRequest(manager.types as [string, ...string[]]);

  app.use(async (c, next) => {
    const t0 = performance.now();
    await next();
    const url = new URL(c.req.url);
    const who = c.req.header("x-forwarded-for") ?? c.env?.remote ?? "-";
    const secs = ((performance.now() - t0) / 1000).toFixed(6);
    log(`${who} ${c.req.method} ${url.pathname}${url.search} ${c.res.status} ${secs}s`);
  });
  if (opts.token !== undefined) {
    const token = opts.token;
    app.use(async (c, next) => {
      if (!bearerMatches(c.req.header("authorization"), token)) {
        throw new HttpError(401, "missing or wrong bearer token (Authorization: Bearer <token>)");
      }
      await next();
    });
  }
  app.use(bodyLimit({
    maxSize: limit,
    onError: (c) => c.json({ message: `request body is larger than ${limit} bytes` }, 413),
  }));

  const list = () => ({ tasks: manager.list() });
  app.get("/task", (c) => c.json(list()));
  app.post("/task", async (c) => {
    const req = await body(c, StartRequest);
    let bytes: Uint8Array;
    try {
      bytes = decodeBase64(req.program_data_buf);
    } catch (e) {
      throw new HttpError(400, `Invalid base64: program_data_buf: ${(e as Error).message}`);
    }
    const task = await tasks(() =>
      manager.start({
        type: req.program_type,
        bytes,
        name: req.program_name ?? undefined,
        args: req.extra_args ?? [],
        exportJson: req.export_json ?? false,
        btfArchivePath: req.btf_archive_path ?? undefined,
      }), "Failed to start task: ");
    return c.json({ id: task.id, task_list: list() });
  });
  app.post("/stop", async (c) => {
    const { id } = await body(c, IdRequest);
    await tasks(() => manager.stop(id));
    return c.json({});
  });
  app.post("/pause", async (c) => {
    const { id } = await body(c, IdRequest);
    return c.json(await tasks(() => manager.pause(id)));
  });
  app.post("/resume", async (c) => {
    const { id } = await body(c, IdRequest);
    return c.json(await tasks(() => manager.resume(id)));
  });
  app.post("/log", async (c) => {
    const req = await body(c, LogRequest);
    const task = await tasks(() => manager.get(req.id));
    return c.json(task.log.poll(req.log_cursor ?? undefined, req.maximum_count ?? undefined));
  });
  app.get("/task/:id/log", async (c) => {
    const id = c.req.param("id");
    if (!/^\d+$/.test(id)) throw new HttpError(400, `id: expected a task id, got '${id}'`);
    const q = FollowQuery.safeParse(c.req.query());
    if (!q.success) throw new HttpError(400, firstIssue(q.error));
    const task = await tasks(() => manager.get(Number(id)));
    const follow = q.data.follow === "1" || q.data.follow === "true";
    return new Response(followLog(task.log, Number(q.data.cursor ?? 0), follow), {
      headers: { "content-type": "application/x-ndjson", "cache-control": "no-store" },
    });
  });

  app.notFound((c) => c.json({ message: `no route for ${c.req.method} ${c.req.path}` }, 404));
  app.onError((e, c) => {
    if (e instanceof HttpError) return c.json({ message: e.message }, e.status);
    return c.json({ message: (e as Error).message }, 500);
  });
  return app;
}

/** Lines a follower may be behind before its newest are dropped (its cursors then skip). */
export const FOLLOW_BACKLOG = 100_000;

/**
 * The NDJSON body of the log route: the lines kept from `from` on, then (with `follow`) every
 * new line as it is appended, in chunks of whatever has piled up, until the log closes.
 */
function followLog(log: TaskLog, from: number, follow: boolean): ReadableStream<Uint8Array> {
  const utf8 = new TextEncoder();
  // JSON.stringify(e) with its key order, built by hand: only the text needs escaping.
  const line = (e: LogEntry) =>
    `{"cursor":${e.cursor},"log":{"log":${
      JSON.stringify(e.log.log)
    },"timestamp":${e.log.timestamp},"log_type":"${e.log.log_type}"}}\n`;
  let pending = log.read(from, log.capacity).map(line);
  let ended = !follow;
  let wake = () => {};
  const unsubscribe = follow
    ? log.subscribe((e) => {
      if (pending.length < FOLLOW_BACKLOG) pending.push(line(e));
      wake();
    }, () => {
      ended = true;
      wake();
    })
    : () => {};
  // A client that goes away cancels the stream (the request's own signal is not used: Deno
  // aborts it when a response completes, and warns about that).
  const finish = () => {
    ended = true;
    unsubscribe();
    wake();
  };
  return new ReadableStream({
    async pull(controller) {
      while (!pending.length && !ended) await new Promise<void>((r) => wake = r);
      if (pending.length) {
        const chunk = pending.join("");
        pending = [];
        controller.enqueue(utf8.encode(chunk));
        return;
      }
      finish();
      controller.close();
    },
    cancel: finish,
  });
}
