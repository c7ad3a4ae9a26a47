/**
 * `ecli server` (also the executable invoked as `ecli-server`) and `ecli client …`: argument
 * parsing and output only; the server, tasks and HTTP client live in lib/server and lib/tasks.
 * @module
 */
import { parseArgs } from "node:util";
import process from "node:process";

/** `ecli server --help`. */
export const SERVER_USAGE = `Usage: ecli server [OPTIONS]   (or: ecli-server [OPTIONS])

Runs many packages at once for remote clients ('ecli client'), over HTTP.

Options:
  -a, --addr <ADDR>        address to bind (default 127.0.0.1; another address needs a token)
  -p, --port <PORT>        port (default 8527; 0 picks a free one)
      --token-file <FILE>  require 'Authorization: Bearer <first line of FILE>' on every request
      --tls-cert <FILE>    serve HTTPS with this PEM certificate chain ...
      --tls-key <FILE>     ... and this PEM key
      --unix <PATH>        listen on a Unix socket (mode 0600) instead of TCP
      --log-lines <N>      lines each task's log keeps; older ones are dropped (default 10000)
      --body-limit <BYTES> largest request body (default 67108864)
  -h, --help               print this help`;

/** `ecli client --help`. */
export const CLIENT_USAGE = `Usage: ecli client [-e|--endpoint URL] [--token T] <COMMAND>

Talks to 'ecli server' (default endpoint http://127.0.0.1:8527, or env ECLI_ENDPOINT; a Unix
socket as unix:/path). The token comes from --token or env ECLI_TOKEN.

Commands:
  start <PROG> [-n NAME] [-j] [-p TYPE] [ARGS...]  upload a program (file, URL, -, image); start
                                                   it; prints the task id. ARGS go to the program
  stop <ID>                                        stop a task and release everything it holds
  list                                             print '<id> <name> <Running|Paused|Exited>'
  log <ID> [-f] [-c N]                             print the task's log from cursor N (lines
                                                   below N are removed); -f follows it
  pause <ID>                                       detach the task's programs, stop polling
  resume <ID>                                      attach them again`;

function count(flag: string, text: string | undefined, min = 0): number {
  const n = Number(text);
  if (text === undefined || !/^\d+$/.test(text) || n < min) {
    throw new Error(`${flag} needs an integer >= ${min}, got '${text ?? ""}'`);
  }
  return n;
}

/** `ecli server [OPTIONS]`. */
export async function serverMain(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      addr: { type: "string", short: "a" },
      port: { type: "string", short: "p" },
      "token-file": { type: "string" },
      "tls-cert": { type: "string" },
      "tls-key": { type: "string" },
      unix: { type: "string" },
      "log-lines": { type: "string" },
      "body-limit": { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    console.log(SERVER_USAGE);
    return 0;
  }
  if (positionals.length) throw new Error(`unexpected argument '${positionals[0]}'`);
  const port = values.port !== undefined ? count("--port", values.port) : undefined;
  if (port !== undefined && port > 65535) throw new Error(`--port ${port} is above 65535`);
  const { runServer } = await import("../lib/server/mod.ts");
  return await runServer({
    addr: values.addr,
    port,
    tokenFile: values["token-file"],
    tlsCert: values["tls-cert"],
    tlsKey: values["tls-key"],
    unix: values.unix,
    logLines: values["log-lines"] !== undefined
      ? count("--log-lines", values["log-lines"], 1)
      : undefined,
    bodyLimit: values["body-limit"] !== undefined
      ? count("--body-limit", values["body-limit"], 1)
      : undefined,
  });
}

/** Upstream's `-p` aliases (case-insensitive), besides json, yaml, tar and wasm. */
const ALIASES: Record<string, string> = { jsoneunomia: "json", wasmmodule: "wasm" };

/**
 * The program's bytes and type, read as `ecli run` reads a source (file, URL, `-`, OCI
 * reference). The server takes json, tar and wasm: a YAML package is sent as JSON.
 */
async function readStartProgram(
  source: string,
  type: string | undefined,
): Promise<{ bytes: Uint8Array; type: string }> {
  const { decodePackageText, parseProgramType, readProgram } = await import("../mod.ts");
  const t = type !== undefined ? parseProgramType(ALIASES[type.toLowerCase()] ?? type) : undefined;
  const program = await readProgram(source, { type: t });
  if (program.type !== "yaml") return program;
  await decodePackageText(new TextDecoder().decode(program.bytes), source, "yaml");
  const { parse } = await import("yaml");
  const doc = parse(new TextDecoder().decode(program.bytes));
  return { bytes: new TextEncoder().encode(JSON.stringify(doc)), type: "json" };
}

/**
 * Splits `start`'s own options (`-n`, `-j`, `-p`, before or after PROG) from the program's
 * arguments; `--` ends ours.
 */
function startArgs(args: string[]) {
  const r: { prog?: string; name?: string; json: boolean; type?: string; rest: string[] } = {
    json: false,
    rest: [],
  };
  const value = (i: number, flag: string) => {
    if (i >= args.length) throw new Error(`start: ${flag} needs a value`);
    return args[i];
  };
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === "--") {
      r.rest.push(...args.slice(i + 1));
      break;
    } else if (a === "-n" || a === "--name") r.name = value(++i, a);
    else if (a.startsWith("--name=")) r.name = a.slice(7);
    else if (a === "-j" || a === "--export-json") r.json = true;
    else if (a === "-p" || a === "--prog-type") r.type = value(++i, a);
    else if (a.startsWith("--prog-type=")) r.type = a.slice(12);
    else if (r.prog !== undefined) r.rest.push(a);
    else if (a.startsWith("-") && a !== "-") throw new Error(`start: unknown option '${a}'`);
    else r.prog = a;
  }
  if (r.prog === undefined) throw new Error("start: missing <PROG>");
  return r;
}

function taskId(cmd: string, text: string | undefined): number {
  if (text === undefined || !/^\d+$/.test(text)) {
    throw new Error(`${cmd}: expected a task id, got '${text ?? ""}'`);
  }
  return Number(text);
}

/** `ecli client [-e URL] [--token T] <COMMAND> …`. */
export async function clientMain(args: string[]): Promise<number> {
  let endpoint = process.env.ECLI_ENDPOINT;
  let token = process.env.ECLI_TOKEN;
  let i = 0;
  for (; i < args.length; i++) {
    const a = args[i];
    if (a === "-e" || a === "--endpoint") endpoint = args[++i];
    else if (a.startsWith("--endpoint=")) endpoint = a.slice(11);
    else if (a === "--token") token = args[++i];
    else if (a.startsWith("--token=")) token = a.slice(8);
    else if (a === "-h" || a === "--help") {
      console.log(CLIENT_USAGE);
      return 0;
    } else break;
  }
  const [cmd, ...rest] = args.slice(i);
  const { TaskClient } = await import("../lib/server/mod.ts");
  const client = new TaskClient(endpoint || undefined, token || undefined);
  switch (cmd) {
    case "start": {
      const s = startArgs(rest);
      const prog = await readStartProgram(s.prog!, s.type);
      console.log(
        await client.start({ ...prog, name: s.name, args: s.rest, exportJson: s.json }),
      );
      return 0;
    }
    case "stop":
      await client.stop(taskId(cmd, rest[0]));
      return 0;
    case "pause":
      console.log(await client.pause(taskId(cmd, rest[0])));
      return 0;
    case "resume":
      console.log(await client.resume(taskId(cmd, rest[0])));
      return 0;
    case "list": {
      for (const t of await client.list()) {
        const status = t.status[0].toUpperCase() + t.status.slice(1);
        const why = t.exit_reason !== undefined ? ` (${t.exit_reason})` : "";
        const dropped = t.log_dropped ? ` [${t.log_dropped} log lines dropped]` : "";
        console.log(`${t.id} ${t.name} ${status}${why}${dropped}`);
      }
      return 0;
    }
    case "log":
      return await logCommand(client, rest);
    case undefined:
      throw new Error("missing <COMMAND> (start, stop, list, log, pause, resume)");
    default:
      throw new Error(`unknown client command '${cmd}'`);
  }
}

async function logCommand(
  client: import("../lib/server/mod.ts").TaskClient,
  args: string[],
): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { follow: { type: "boolean", short: "f" }, cursor: { type: "string", short: "c" } },
  });
  const id = taskId("log", positionals[0]);
  const cursor = values.cursor !== undefined ? count("--cursor", values.cursor) : undefined;
  const { FdOutput } = await import("../lib/run/mod.ts");
  const out = new FdOutput(1);
  const err = new FdOutput(2);
  const print = (e: { log: { log: string; log_type: string } }) =>
    (e.log.log_type === "stderr" ? err : out).write(e.log.log + "\n");
  if (values.follow) {
    // Ctrl-C ends the follow, not the task.
    const stop = new AbortController();
    const onInt = () => stop.abort();
    process.on("SIGINT", onInt);
    process.on("SIGTERM", onInt);
    const flusher = setInterval(() => (out.flush(), err.flush()), 50);
    try {
      for await (const e of client.follow(id, cursor ?? 0, stop.signal)) print(e);
    } finally {
      clearInterval(flusher);
      out.flush();
      err.flush();
      process.off("SIGINT", onInt);
      process.off("SIGTERM", onInt);
    }
    return 0;
  }
  const entries = await client.log(id, cursor);
  for (const e of entries) print(e);
  out.write(
    entries.length ? `\nNext cursor: ${entries[entries.length - 1].cursor}\n` : "No logs fetched\n",
  );
  out.flush();
  err.flush();
  return 0;
}
