/**
 * Test support: builds the wasm-bpf guests of tests/wasm/guests/ (and the bundled bootstrap
 * example) from C with clang-14 and wasi-libc, once per test module, into a scratch dir.
 * @module
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { linkGuest, prepareBpf } from "../../examples/wasm/build.ts";
import { ROOT } from "../support/cli.ts";

const SRC = join(ROOT, "tests/wasm/guests");
const out = mkdtempSync(join(tmpdir(), "ecli-wasm-test-"));
globalThis.addEventListener("unload", () => rmSync(out, { recursive: true, force: true }));

/** The guests, by name. */
export type GuestName =
  | "bootstrap"
  | "writehist"
  | "execperf"
  | "oob"
  | "trap"
  | "corrupt"
  | "unknown"
  | "spin"
  | "loaded"
  | "sleep";

const built = new Map<string, Promise<string>>();

async function prepared(stem: string, dir: string): Promise<string> {
  return await prepareBpf(join(dir, `${stem}.bpf.c`), join(dir, `${stem}.h`));
}

const BPF = new Map<string, Promise<string>>();
function bpf(stem: string, dir = SRC): Promise<string> {
  if (!BPF.has(stem)) BPF.set(stem, prepared(stem, dir));
  return BPF.get(stem)!;
}

/** The path of a built guest (built on first use). */
export function guest(name: GuestName): Promise<string> {
  if (!built.has(name)) {
    built.set(
      name,
      (async () => {
        const output = join(out, `${name}.wasm`);
        if (name === "bootstrap") {
          const gen = await bpf("procsnoop", join(ROOT, "examples/procsnoop"));
          linkGuest(gen, {
            guestSource: join(ROOT, "examples/wasm/bootstrap/bootstrap.c"),
            output,
          });
        } else if (name === "writehist" || name === "execperf") {
          linkGuest(await bpf(name), {
            guestSource: join(SRC, `${name}.c`),
            output,
            cflags: [`-I${SRC}`],
          });
        } else {
          linkGuest(await bpf("execperf"), {
            guestSource: join(SRC, "bad.c"),
            output,
            cflags: [`-I${SRC}`, `-D${name.toUpperCase()}`],
          });
        }
        return output;
      })(),
    );
  }
  return built.get(name)!;
}
