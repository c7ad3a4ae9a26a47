/**
 * WASI preview1 for guests: the runtime's own `node:wasi` (Deno and Bun both have it) for
 * arguments, environment, clocks, random and the rest, with three calls taken over: `fd_write`
 * on stdout/stderr goes to the host's sink (so a server can capture it line by line),
 * `proc_exit` unwinds the guest with its status instead of ending our process (Bun's
 * `node:wasi` exits the process even with `returnOnExit`), and `poll_oneoff` on relative
 * clocks only (what `sleep()` becomes) waits on the stop/pause word, so a sleeping guest stops
 * at once; other polls go to `node:wasi` after the checkpoint.
 */
import process from "node:process";
import { WASI } from "node:wasi";
import { GuestExit, GuestFault } from "./errors.ts";
import type { GuestMemory } from "./guest_memory.ts";

/** WASI's errno values used here. */
const WasiErrno = { SUCCESS: 0, BADF: 8, FAULT: 21 } as const;

/** Where the guest's stdout (1) and stderr (2) bytes go. */
export type OutputSink = (fd: 1 | 2, bytes: Uint8Array) => void;

/** What a guest's WASI world holds. */
export interface WasiOptions {
  /** argv, argv[0] included. */
  args: string[];
  /** Environment variables (none by default, as upstream's hosts). */
  env?: Record<string, string>;
  /** stdout/stderr. */
  output: OutputSink;
  /** The stop/pause checkpoint (see `GuestAccess.checkpoint`): waits up to `waitMs`. */
  checkpoint: (waitMs?: number) => void;
}

/** The WASI instance and the `wasi_snapshot_preview1` imports to instantiate with. */
export interface GuestWasi {
  /** The import module. */
  imports: Record<string, (...args: never[]) => unknown>;
  /** Binds the guest's memory (after instantiation, before `_start`). */
  bind(instance: WebAssembly.Instance, memory: GuestMemory): void;
}

/** Names `node:wasi` provides in `wasi_snapshot_preview1` on this runtime. */
export function wasiImportNames(): Set<string> {
  return new Set(Object.keys(newWasi({ args: [] }).wasiImport));
}

function newWasi(opts: { args: string[]; env?: Record<string, string> }): WASI {
  // Bun warns that WASI is experimental on every construction; the guest's stderr is ours.
  const warn = process.emitWarning;
  process.emitWarning = () => {};
  try {
    return new WASI({
      version: "preview1",
      args: opts.args,
      env: opts.env ?? {},
      returnOnExit: true,
    });
  } finally {
    process.emitWarning = warn;
  }
}

/** Builds the WASI world of one guest. */
export function guestWasi(opts: WasiOptions): GuestWasi {
  const wasi = newWasi(opts);
  const base = wasi.wasiImport as Record<string, (...args: never[]) => unknown>;
  let memory: GuestMemory | undefined;
  const fdWrite = base.fd_write as (fd: number, iovs: number, n: number, out: number) => number;
  const pollOneoff = base.poll_oneoff as (...a: number[]) => number;
  const imports = {
    ...base,
    fd_write: (fd: number, iovs: number, count: number, written: number): number => {
      opts.checkpoint();
      if (fd !== 1 && fd !== 2) return fdWrite(fd, iovs, count, written);
      if (!memory) return WasiErrno.BADF;
      try {
        const vec = memory.bytes(iovs, count * 8, "iovec array");
        const dv = new DataView(vec.buffer, vec.byteOffset, vec.byteLength);
        const parts: Uint8Array[] = [];
        let total = 0;
        for (let i = 0; i < count; i++) {
          const part = memory.bytes(
            dv.getUint32(i * 8, true),
            dv.getUint32(i * 8 + 4, true),
            "iovec",
          );
          parts.push(part);
          total += part.length;
        }
        const out = new Uint8Array(total);
        let at = 0;
        for (const p of parts) out.set(p, (at += p.length) - p.length);
        const w = memory.bytes(written, 4, "nwritten");
        new DataView(w.buffer, w.byteOffset, 4).setUint32(0, total, true);
        if (total) opts.output(fd, out);
        return WasiErrno.SUCCESS;
      } catch (e) {
        if (e instanceof GuestFault) return WasiErrno.FAULT;
        throw e;
      }
    },
    proc_exit: (code: number): never => {
      throw new GuestExit(code >>> 0);
    },
    poll_oneoff: (subs: number, events: number, count: number, nevents: number): number => {
      opts.checkpoint();
      const sleep = memory && relativeSleep(memory, subs, count);
      if (!sleep) return pollOneoff(subs, events, count, nevents);
      try {
        const out = memory!.bytes(events, 32, "poll event");
        const n = memory!.bytes(nevents, 4, "nevents");
        const end = performance.now() + sleep.ms;
        for (let left = sleep.ms; left > 0; left = end - performance.now()) {
          opts.checkpoint(Math.min(left, 1000));
        }
        const ev = new DataView(out.buffer, out.byteOffset, 32);
        for (let i = 0; i < 32; i++) out[i] = 0;
        ev.setBigUint64(0, sleep.userdata, true); // error 0, type 0 (clock)
        new DataView(n.buffer, n.byteOffset, 4).setUint32(0, 1, true);
        return WasiErrno.SUCCESS;
      } catch (e) {
        if (e instanceof GuestFault) return WasiErrno.FAULT;
        throw e;
      }
    },
  };
  return {
    imports,
    bind(instance, mem) {
      memory = mem;
      bindWasiMemory(wasi, instance);
    },
  };
}

/**
 * When every subscription of a `poll_oneoff` is a relative clock (a sleep), the shortest one:
 * its wait in ms and its userdata. Undefined otherwise (fd subscriptions, absolute times).
 */
function relativeSleep(
  memory: GuestMemory,
  subs: number,
  count: number,
): { ms: number; userdata: bigint } | undefined {
  if (count < 1 || count > 64) return undefined;
  let v: DataView;
  try {
    const b = memory.bytes(subs, count * 48, "subscriptions");
    v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  } catch {
    return undefined;
  }
  let best: { ms: number; userdata: bigint } | undefined;
  for (let i = 0; i < count; i++) {
    const at = i * 48;
    // tag 0 = clock; subclock flags bit 0 = absolute time
    if (v.getUint8(at + 8) !== 0 || (v.getUint16(at + 40, true) & 1) !== 0) return undefined;
    const ms = Number(v.getBigUint64(at + 24, true)) / 1e6;
    if (!best || ms < best.ms) best = { ms, userdata: v.getBigUint64(at, true) };
  }
  return best;
}

/**
 * Points `node:wasi` at the instance's memory without letting it run `_start` (we run it, to
 * catch our own exit and stop signals): `start()` on a proxy whose `_start` is a no-op.
 */
function bindWasiMemory(wasi: WASI, instance: WebAssembly.Instance): void {
  const exports = { memory: instance.exports.memory, _start: () => {} };
  wasi.start({ exports } as unknown as WebAssembly.Instance);
}
