/**
 * `ecli server` and `ecli client` end to end, on this host's kernel: three examples (ring
 * buffer, perf buffer, sampled histogram) started through the client and through raw HTTP in
 * upstream's request format, their decoded events read back from the task logs, pause and
 * resume seen in the kernel's links, bad requests answered with their status and message,
 * SIGTERM releasing everything. Runs under each runtime (the HTTP server is the runtime's own).
 * @module
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { spawnSync } from "node:child_process";
import { statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { compileExample } from "../support/build.ts";
import { cliCommand, ROOT, runCli, sleep } from "../support/cli.ts";
import { compileForTest } from "../support/build.ts";
import { guest } from "../wasm/guests.ts";
import {
  bpfLinkIdsOf,
  bpfProgramIdsOf,
  hostKernelTest,
  loadedProgramIds,
  scratchDir,
  trigger,
  uniqueCopy,
  uniqueTrue,
  until,
} from "../support/kernel.ts";

interface Server {
  pid: number;
  url: string;
  stderr(): string;
  /** Sends `signal` and waits for the exit. */
  stop(signal?: Deno.Signal): Promise<{ code: number; stderr: string }>;
}

/** Starts `ecli server ARGS` and waits for its "listening on URL" line. */
async function startServer(args: string[]): Promise<Server> {
  const [bin, argv] = cliCommand(["server", ...args]);
  const child = new Deno.Command(bin, {
    args: argv,
    cwd: ROOT,
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  let err = "";
  const pump = (async () => {
    const dec = new TextDecoder();
    for await (const c of child.stderr) err += dec.decode(c, { stream: true });
  })();
  const status = child.status.then(async (s) => {
    await pump;
    return s.code;
  });
  let exited = false;
  status.then(() => exited = true);
  await until(() => /listening on \S+/.test(err) || exited, 30_000);
  const url = /listening on (\S+)/.exec(err)?.[1];
  if (!url) throw new Error(`ecli server did not start:\n${err}`);
  return {
    pid: child.pid,
    url,
    stderr: () => err,
    async stop(signal: Deno.Signal = "SIGTERM") {
      try {
        child.kill(signal);
      } catch { /* gone */ }
      return { code: await status, stderr: err };
    },
  };
}

/** Ids of every BPF link in the kernel (`bpftool link list`). */
function kernelLinkIds(): Set<number> {
  const r = spawnSync("bpftool", ["-j", "link", "list"], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`bpftool link list: ${r.stderr}`);
  return new Set((JSON.parse(r.stdout) as { id: number }[]).map((l) => l.id));
}

const TOKEN = `t-${crypto.randomUUID()}`;

/** `ecli client -e URL --token T ARGS`. */
function client(server: Server, ...args: string[]) {
  return runCli(["client", "-e", server.url, "--token", TOKEN, ...args]);
}

/** Reads a task's log with `client log ID -c N` until `want` matches one line. */
async function waitLine(
  server: Server,
  id: number,
  want: (line: string) => boolean,
  ms = 15_000,
): Promise<string> {
  const end = Date.now() + ms;
  let cursor = 0;
  while (Date.now() < end) {
    const r = await client(server, "log", String(id), "-c", String(cursor));
    assert.equal(r.code, 0, r.stderr);
    const next = /\nNext cursor: (\d+)\n$/.exec(r.stdout);
    if (next) {
      const hit = r.stdout.split("\n").find(want);
      if (hit !== undefined) return hit;
      cursor = Number(next[1]) + 1;
    } else {
      assert.equal(r.stdout, "No logs fetched\n");
      await sleep(200);
    }
  }
  throw new Error(`task ${id}: no matching log line within ${ms} ms`);
}

/** A JSON request to the server, as curl would send it. */
async function http(
  server: Server,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = { authorization: `Bearer ${TOKEN}` },
): Promise<{ status: number; json: unknown }> {
  const res = await fetch(server.url + path, {
    method,
    headers: { "content-type": "application/json", ...headers },
    body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
  });
  return { status: res.status, json: await res.json() };
}

/** Upstream's client encoding: standard base64 without padding. */
const unpadded = (bytes: Uint8Array) => Buffer.from(bytes).toString("base64").replace(/=+$/, "");

let packages: Promise<Record<string, string>> | undefined;
/** The three examples, compiled once for every test of this file. */
function examples(): Promise<Record<string, string>> {
  packages ??= (async () => {
    const dir = scratchDir();
    const out: Record<string, string> = {};
    for (const name of ["procsnoop", "opensnoop", "readsize"]) {
      out[name] = await compileExample(name, dir);
    }
    return out;
  })();
  return packages;
}

hostKernelTest(
  "ecli server + client: three examples, logs, pause/resume, upstream's raw HTTP, errors",
  async () => {
    const pkgs = await examples();
    const tokenFile = join(scratchDir(), "token");
    writeFileSync(tokenFile, TOKEN + "\n");
    const server = await startServer([
      "--port",
      "0",
      "--token-file",
      tokenFile,
      "--body-limit",
      "200000",
    ]);
    const ours: number[] = [];
    try {
      assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+$/);
      const cat = uniqueCopy("/bin/cat", "srvcat");
      const reader = uniqueCopy("/bin/cat", "srvrd");

      // Start the three through the client: ids from 1, names, types from the suffix.
      const s1 = await client(server, "start", pkgs.procsnoop, "-n", "procs");
      assert.equal(s1.code, 0, s1.stderr);
      assert.equal(s1.stdout, "1\n");
      const s2 = await client(server, "start", pkgs.opensnoop, "-j");
      assert.equal(s2.stdout, "2\n", s2.stderr);
      const s3 = await client(server, "start", pkgs.readsize, "--target_comm", reader.comm);
      assert.equal(s3.stdout, "3\n", s3.stderr);
      const list = await client(server, "list");
      assert.match(
        list.stdout,
        /^1 procs Running\n2 bpf-program-\d+ Running\n3 bpf-program-\d+ Running\n$/,
      );
      ours.push(...bpfProgramIdsOf(server.pid));
      assert.ok(ours.length >= 5, `server holds programs ${ours}`);

      // Trigger each and find the decoded values in its log.
      const t = uniqueTrue("srvexec");
      const ran = await trigger(t.path);
      const missing = join(scratchDir(), "no-such-file");
      const opened = await trigger(cat.path, [missing]);
      const data = join(scratchDir(), "data");
      writeFileSync(data, "x".repeat(3000));
      await trigger(reader.path, [data]);

      const exec = await waitLine(server, 1, (l) => l.includes(t.path));
      assert.match(
        exec,
        new RegExp(
          `^\\d\\d:\\d\\d:\\d\\d\\s+${ran.pid}\\s+\\d+\\s+0\\s+0\\s+${t.comm}\\s+${t.path}\\s+false`,
        ),
      );
      const open = JSON.parse(await waitLine(server, 2, (l) => l.includes(missing)));
      assert.deepEqual(
        { pid: open.pid, comm: open.comm, fname: open.fname, ret: open.ret },
        { pid: opened.pid, comm: cat.comm, fname: missing, ret: -2 },
      );
      await waitLine(server, 3, (l) => l === `comm = ${reader.comm}`);
      const bucket = await waitLine(server, 3, (l) => /^\s+2048 -> 4095\s+: [1-9]/.test(l));
      assert.match(bucket, /\|\*+\s*\|$/);

      // Follow (our streaming route) sees a new event without polling.
      const [bin, argv] = cliCommand([
        "client",
        "-e",
        server.url,
        "--token",
        TOKEN,
        "log",
        "1",
        "-f",
      ]);
      const follower = new Deno.Command(bin, {
        args: argv,
        cwd: ROOT,
        stdout: "piped",
        stderr: "piped",
      })
        .spawn();
      let followed = "";
      const pump = (async () => {
        const dec = new TextDecoder();
        for await (const c of follower.stdout) followed += dec.decode(c, { stream: true });
      })();
      await until(() => followed.includes("TIME "), 10_000);
      const t2 = uniqueTrue("srvfollow");
      await trigger(t2.path);
      assert.ok(await until(() => followed.includes(t2.path), 10_000), "follow missed the exec");
      follower.kill("SIGINT");
      assert.equal((await follower.status).code, 0);
      await pump;

      // Pause procsnoop: its two links leave the kernel, its programs stay, no new lines.
      const linksBefore = bpfLinkIdsOf(server.pid);
      const p = await client(server, "pause", "1");
      assert.equal(p.stdout, "paused\n", p.stderr);
      assert.match((await client(server, "list")).stdout, /^1 procs Paused$/m);
      const gone = linksBefore.filter((l) => !bpfLinkIdsOf(server.pid).includes(l));
      assert.equal(gone.length, 2, `links detached: ${gone}`);
      const inKernel = kernelLinkIds();
      assert.deepEqual(gone.filter((l) => inKernel.has(l)), []);
      assert.deepEqual(bpfProgramIdsOf(server.pid), ours);
      const drained = await http(server, "POST", "/log", { id: 1, log_cursor: 1e9 });
      assert.deepEqual(drained, { status: 200, json: [] });
      const t3 = uniqueTrue("srvpaused");
      await trigger(t3.path);
      await sleep(1000);
      assert.deepEqual(await http(server, "POST", "/log", { id: 1 }), { status: 200, json: [] });

      // Resume: links again, and events again.
      const r = await client(server, "resume", "1");
      assert.equal(r.stdout, "running\n", r.stderr);
      assert.equal(bpfLinkIdsOf(server.pid).length, linksBefore.length);
      const t4 = uniqueTrue("srvresumed");
      await trigger(t4.path);
      await waitLine(server, 1, (l) => l.includes(t4.path));

      // The same with raw HTTP in upstream's exact request format.
      const bytes = Deno.readFileSync(pkgs.procsnoop);
      const started = await http(server, "POST", "/task", {
        program_data_buf: unpadded(bytes),
        program_type: "json",
        program_name: "raw-procs",
        extra_args: [],
        export_json: true,
      });
      assert.equal(started.status, 200);
      const { id, task_list } = started.json as { id: number; task_list: { tasks: unknown[] } };
      assert.equal(id, 4);
      assert.deepEqual(task_list.tasks.at(-1), {
        id: 4,
        name: "raw-procs",
        status: "running",
        log_dropped: 0,
      });
      const t5 = uniqueTrue("srvraw");
      const raw = await trigger(t5.path);
      let cursor: number | undefined;
      let event: Record<string, unknown> | undefined;
      for (const end = Date.now() + 15_000; !event && Date.now() < end;) {
        const got = await http(server, "POST", "/log", {
          id,
          log_cursor: cursor,
          maximum_count: 500,
        });
        assert.equal(got.status, 200);
        const entries = got.json as {
          cursor: number;
          log: { log: string; timestamp: number; log_type: string };
        }[];
        for (const e of entries) {
          assert.deepEqual(Object.keys(e.log).sort(), ["log", "log_type", "timestamp"]);
          assert.equal(e.log.log_type, "plain");
          assert.ok(Math.abs(e.log.timestamp - Date.now() / 1000) < 60);
          const j = JSON.parse(e.log.log);
          if (j.filename === t5.path && !j.exit_event) event = j;
        }
        if (entries.length) cursor = entries.at(-1)!.cursor + 1;
        else await sleep(200);
      }
      assert.deepEqual(
        { pid: event?.pid, comm: event?.comm, exit_event: event?.exit_event },
        { pid: raw.pid, comm: t5.comm, exit_event: false },
      );
      // Cursor semantics: lines below the cursor are gone for every reader.
      await http(server, "POST", "/log", { id, log_cursor: cursor });
      const after = await http(server, "POST", "/log", { id });
      assert.ok((after.json as unknown[]).length < 1000);
      assert.ok((after.json as { cursor: number }[]).every((e) => e.cursor >= cursor!));
      assert.deepEqual(await http(server, "POST", "/stop", { id }), { status: 200, json: {} });

      // Padded base64 is accepted too.
      const padded = await http(server, "POST", "/task", {
        program_data_buf: Buffer.from(Deno.readFileSync(pkgs.opensnoop)).toString("base64"),
        program_type: "json",
      });
      assert.equal(padded.status, 200, JSON.stringify(padded.json));
      const paddedId = (padded.json as { id: number }).id;
      assert.deepEqual(await http(server, "POST", "/stop", { id: paddedId }), {
        status: 200,
        json: {},
      });

      // Bad requests: each its status and message, and the server serves the next one.
      const bad = (await compileForTest({
        source: (() => {
          const src = join(scratchDir(), "badread.bpf.c");
          writeFileSync(
            src,
            `#include "vmlinux.h"\n#include <bpf/bpf_helpers.h>\n` +
              `SEC("tracepoint/syscalls/sys_enter_getpid")\n` +
              `int bad(void *ctx) { return *(int *)((char *)ctx + 100000); }\n` +
              `char LICENSE[] SEC("license") = "GPL";\n`,
          );
          return src;
        })(),
      })).files.package!;
      const cases: [string, string, unknown, Record<string, string> | undefined, number, RegExp][] =
        [
          ["no token", "/task", undefined, {}, 401, /^missing or wrong bearer token/],
          [
            "wrong token",
            "/task",
            undefined,
            { authorization: "Bearer nope" },
            401,
            /^missing or wrong bearer token/,
          ],
          ["malformed JSON", "/stop", "{", undefined, 400, /^request body is not JSON: /],
          ["id not a number", "/stop", { id: "x" }, undefined, 400, /^id: .*expected number/],
          [
            "missing field",
            "/task",
            { program_type: "json" },
            undefined,
            400,
            /^program_data_buf: missing \(expected string\)$/,
          ],
          [
            "unknown program_type",
            "/task",
            { program_data_buf: "", program_type: "elf" },
            undefined,
            400,
            /^program_type: /,
          ],
          ["unknown id", "/stop", { id: 99 }, undefined, 404, /^Invalid handle: 99$/],
          ["unknown id (log)", "/log", { id: 99 }, undefined, 404, /^Invalid handle: 99$/],
          ["unknown id (pause)", "/pause", { id: 99 }, undefined, 404, /^Invalid handle: 99$/],
          [
            "bad base64",
            "/task",
            { program_data_buf: "ab$d", program_type: "json" },
            undefined,
            400,
            /^Invalid base64: program_data_buf: character "\$" at offset 2$/,
          ],
          [
            "not JSON",
            "/task",
            { program_data_buf: unpadded(new TextEncoder().encode("hello")), program_type: "json" },
            undefined,
            400,
            /^Failed to start task: program_data_buf: not valid JSON: /,
          ],
          [
            "ELF the verifier rejects",
            "/task",
            { program_data_buf: unpadded(Deno.readFileSync(bad)), program_type: "json" },
            undefined,
            400,
            /^Failed to start task: .*'bad'/,
          ],
          [
            "an empty package.tar",
            "/task",
            { program_data_buf: "", program_type: "tar" },
            undefined,
            400,
            /^Failed to start task: program_data_buf: truncated tar: 0 bytes is not a whole number of 512-byte blocks$/,
          ],
          [
            "too large",
            "/task",
            "x".repeat(300_000),
            undefined,
            413,
            /^request body is larger than 200000 bytes$/,
          ],
          ["no such route", "/nope", {}, undefined, 404, /^no route for POST \/nope$/],
        ];
      for (const [what, path, body, headers, status, message] of cases) {
        const method = body === undefined ? "GET" : "POST";
        const got = await http(server, method, path, body, headers);
        assert.equal(got.status, status, `${what}: ${JSON.stringify(got.json)}`);
        assert.match((got.json as { message: string }).message, message, what);
        const next = await http(server, "GET", "/task");
        assert.equal(next.status, 200, `after ${what}`);
        assert.equal((next.json as { tasks: unknown[] }).tasks.length, 3, `after ${what}`);
      }
      assert.match(server.stderr(), /127\.0\.0\.1 POST \/task 400 \d+\.\d+s/);

      // Stop each: the list is empty and nothing of the server's is loaded.
      for (const id of ["1", "2", "3"]) {
        const s = await client(server, "stop", id);
        assert.equal(s.code, 0, s.stderr);
      }
      const empty = await client(server, "list");
      assert.equal(empty.stdout, "");
      assert.deepEqual(bpfProgramIdsOf(server.pid), []);
      assert.deepEqual(bpfLinkIdsOf(server.pid), []);
      const loaded = new Set(loadedProgramIds());
      assert.deepEqual(ours.filter((p) => loaded.has(p)), []);
      const stop = await client(server, "stop", "1");
      assert.equal(stop.code, 1);
      assert.equal(stop.stderr, `ecli: error: ${server.url} answered 404: Invalid handle: 1\n`);
    } finally {
      const end = await server.stop();
      assert.equal(end.code, 0, end.stderr);
    }
  },
);

hostKernelTest(
  "ecli server: a wasm task logs the guest's stdout as upstream's log type",
  async () => {
    const wasm = Deno.readFileSync(await guest("bootstrap"));
    const server = await startServer(["--port", "0"]);
    try {
      const started = await http(server, "POST", "/task", {
        program_data_buf: unpadded(wasm),
        program_type: "wasm",
        program_name: "boot",
        extra_args: [],
        export_json: false,
      });
      assert.equal(started.status, 200, JSON.stringify(started.json));
      const { id } = started.json as { id: number };
      // The guest prints its header once attached; its lines arrive as the log's stdout.
      const lines: { log: string; log_type: string }[] = [];
      let cursor: number | undefined;
      const readUntil = async (want: (l: { log: string }) => boolean) => {
        for (const end = Date.now() + 20_000; Date.now() < end;) {
          const hit = lines.find(want);
          if (hit) return hit;
          const got = await http(server, "POST", "/log", { id, log_cursor: cursor });
          const entries = got.json as { cursor: number; log: { log: string; log_type: string } }[];
          lines.push(...entries.map((e) => e.log));
          if (entries.length) cursor = entries.at(-1)!.cursor + 1;
          else await sleep(200);
        }
        throw new Error(`no such line in ${JSON.stringify(lines)}`);
      };
      const header = await readUntil((l) => l.log.startsWith("TIME     EVENT COMM"));
      assert.equal(header.log_type, "stdout");
      const { path, comm } = uniqueCopy("/bin/false", "srvwasm");
      const { pid } = await trigger(path);
      const seen = await readUntil((l) => l.log.includes(`EXIT  ${comm.padEnd(16)} ${pid}`));
      assert.equal(seen.log_type, "stdout");
      assert.match(seen.log, new RegExp(`EXIT  ${comm.padEnd(16)} ${pid} +\\d+ +\\[1\\]`));
      const held = bpfProgramIdsOf(server.pid);
      assert.equal((await http(server, "POST", "/stop", { id })).status, 200);
      await until(() => bpfProgramIdsOf(server.pid).length === 0, 10_000);
      const still = new Set(loadedProgramIds());
      assert.deepEqual(held.filter((p) => still.has(p)), []);
    } finally {
      await server.stop();
    }
  },
);

hostKernelTest("ecli server: SIGTERM with tasks running leaves nothing loaded", async () => {
  const pkgs = await examples();
  const server = await startServer(["--port", "0"]);
  let ended = false;
  try {
    for (const name of ["procsnoop", "opensnoop", "readsize"]) {
      const r = await runCli(["client", "-e", server.url, "start", pkgs[name]]);
      assert.equal(r.code, 0, r.stderr);
    }
    assert.ok(await client(server, "pause", "2").then((r) => r.code === 0));
    const ours = bpfProgramIdsOf(server.pid);
    assert.ok(ours.length >= 5, `server holds programs ${ours}`);
    const end = await server.stop("SIGTERM");
    ended = true;
    assert.equal(end.code, 0, end.stderr);
    assert.match(end.stderr, /ecli-server: SIGTERM: stopping 3 tasks\necli-server: stopped\n$/);
    const loaded = new Set(loadedProgramIds());
    assert.deepEqual(ours.filter((p) => loaded.has(p)), []);
  } finally {
    if (!ended) await server.stop("SIGKILL");
  }
});

Deno.test("ecli server: --unix socket is mode 0600; non-loopback needs a token", async () => {
  const sock = join(Deno.makeTempDirSync(), "ecli.sock");
  const server = await startServer(["--unix", sock]);
  try {
    assert.equal(server.url, `unix:${sock}`);
    assert.equal(statSync(sock).mode & 0o777, 0o600);
    const list = await runCli(["client", "-e", server.url, "list"]);
    assert.deepEqual([list.code, list.stdout, list.stderr], [0, "", ""]);
    assert.match(server.stderr(), /^- GET \/task 200 \d+\.\d+s$/m);
  } finally {
    assert.equal((await server.stop()).code, 0);
  }
  assert.throws(() => statSync(sock), /ENOENT|No such file/);

  const open = await runCli(["server", "--addr", "0.0.0.0"]);
  assert.equal(open.code, 1);
  assert.equal(
    open.stderr,
    "ecli: error: refusing to listen on 0.0.0.0 without a token: anyone who reaches it could " +
      "load BPF programs as root (give --token-file, or keep the default 127.0.0.1)\n",
  );

  // A server that is down: one line naming the endpoint.
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  const down = await runCli(["client", "-e", `http://127.0.0.1:${port}`, "list"]);
  assert.equal(down.code, 1);
  assert.match(
    down.stderr,
    new RegExp(`^ecli: error: cannot reach http://127\\.0\\.0\\.1:${port}: .+\\n$`),
  );
});
