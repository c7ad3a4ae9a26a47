/**
 * Test support: Debian's `prometheus` server, installed with apt when missing, started on
 * 127.0.0.1 with a random port, a temporary storage directory and a 1 s scrape of the given
 * targets, queried through its HTTP API and stopped by PID.
 * @module
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A free TCP port on 127.0.0.1 (bound and released; good enough for a test). */
export function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

/** Installs Debian's prometheus when the binary is missing (waits for apt's lock). */
export function ensurePrometheus(): void {
  if (spawnSync("sh", ["-c", "command -v prometheus"]).status === 0) return;
  const apt = (args: string[]) => {
    const r = spawnSync("apt-get", ["-o", "DPkg::Lock::Timeout=600", ...args], {
      encoding: "utf8",
      env: { ...Deno.env.toObject(), DEBIAN_FRONTEND: "noninteractive" },
    });
    if (r.status !== 0) throw new Error(`apt-get ${args.join(" ")}: ${r.stderr}`);
  };
  apt(["update", "-qq"]);
  apt(["install", "-y", "-qq", "--no-install-recommends", "prometheus"]);
}

/** One sample of an instant query. */
export interface PromSample {
  /** The series' labels (with `__name__`). */
  metric: Record<string, string>;
  /** The value, as Prometheus prints it. */
  value: string;
}

/** A running Prometheus. */
export interface Prometheus {
  /** Its HTTP port on 127.0.0.1. */
  port: number;
  /** Runs an instant query (`/api/v1/query`); throws unless the status is success. */
  query(q: string): Promise<PromSample[]>;
  /** Queries until `ok(result)` holds or `ms` pass; returns the last result. */
  waitFor(q: string, ok: (r: PromSample[]) => boolean, ms?: number): Promise<PromSample[]>;
  /** Stops it (SIGTERM by PID), waits for the exit and removes its storage. */
  stop(): Promise<void>;
}

/** Starts Prometheus scraping `targets` (`127.0.0.1:PORT`) every second, once it is ready. */
export async function startPrometheus(targets: string[]): Promise<Prometheus> {
  ensurePrometheus();
  const dir = mkdtempSync(join(tmpdir(), "ecli-prometheus-"));
  const port = freePort();
  writeFileSync(
    join(dir, "prometheus.yml"),
    `global: {scrape_interval: 1s, scrape_timeout: 1s}
scrape_configs:
  - job_name: ecli
    static_configs: [{targets: [${targets.map((t) => `'${t}'`).join(", ")}]}]
`,
  );
  const child = new Deno.Command("prometheus", {
    args: [
      `--config.file=${join(dir, "prometheus.yml")}`,
      `--storage.tsdb.path=${join(dir, "data")}`,
      `--web.listen-address=127.0.0.1:${port}`,
    ],
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  const base = `http://127.0.0.1:${port}`;
  const stop = async () => {
    try {
      child.kill("SIGTERM");
    } catch { /* gone */ }
    await child.status;
    rmSync(dir, { recursive: true, force: true });
  };
  const end = Date.now() + 30_000;
  for (;;) {
    try {
      const r = await fetch(`${base}/-/ready`);
      await r.body?.cancel();
      if (r.ok) break;
    } catch { /* not listening yet */ }
    if (Date.now() > end) {
      await stop();
      throw new Error("prometheus not ready after 30 s");
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const query = async (q: string): Promise<PromSample[]> => {
    const r = await fetch(`${base}/api/v1/query?query=${encodeURIComponent(q)}`);
    const body = await r.json() as {
      status: string;
      error?: string;
      data: { result: { metric: Record<string, string>; value: [number, string] }[] };
    };
    if (body.status !== "success") throw new Error(`query ${q}: ${body.error}`);
    return body.data.result.map((s) => ({ metric: s.metric, value: s.value[1] }));
  };
  return {
    port,
    query,
    async waitFor(q, ok, ms = 15_000) {
      const until = Date.now() + ms;
      for (;;) {
        const r = await query(q);
        if (ok(r) || Date.now() > until) return r;
        await new Promise((res) => setTimeout(res, 200));
      }
    },
    stop,
  };
}
