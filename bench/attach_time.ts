/**
 * Time from spawning a command to its ` attached, printing ` line on stderr (the moment events
 * flow), then SIGINT and wait: the start-up measure the standalone and script benchmarks share.
 * @module
 */

/** Milliseconds until `cmd` says it is attached; throws when it exits first or fails. */
export async function timeToAttached(
  cmd: string,
  args: string[],
  env?: Record<string, string>,
): Promise<number> {
  const t0 = performance.now();
  const child = new Deno.Command(cmd, { args, env, stdout: "null", stderr: "piped" }).spawn();
  const dec = new TextDecoder();
  let err = "";
  let ms = NaN;
  for await (const chunk of child.stderr) {
    err += dec.decode(chunk, { stream: true });
    if (Number.isNaN(ms) && err.includes(" attached, printing ")) {
      ms = performance.now() - t0;
      child.kill("SIGINT");
    }
  }
  const { code } = await child.status;
  if (Number.isNaN(ms) || code !== 0) {
    throw new Error(`${cmd}: exit ${code} before attaching: ${err}`);
  }
  return ms;
}

/** The median of `xs`. */
export const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
