/**
 * `ecli server`: the HTTP API over the task manager (upstream's routes and shapes, a streaming
 * log route, bearer tokens, TLS, a Unix socket), and the client `ecli client` uses.
 * @module
 */
export * from "./app.ts";
export * from "./auth.ts";
export * from "./client.ts";
export * from "./listen.ts";
export * from "./schema.ts";
export * from "./serve.ts";
