import assert from "node:assert/strict";
import { makeShell, shellQuote } from "./shell.ts";
import { parseCommandTemplate, templateFields } from "./exec.ts";

Deno.test("shellQuote makes one word of anything", () => {
  assert.equal(shellQuote("plain-1.txt"), "plain-1.txt");
  assert.equal(shellQuote(`a b'c"$(x)`), `'a b'\\''c"$(x)'`);
  assert.equal(shellQuote(["x y", 3]), `'x y' 3`);
});

Deno.test("ctx.$ runs each value as one word and reports a failure instead of throwing", async () => {
  const logged: string[] = [];
  const $ = makeShell({ log: (l) => logged.push(l) });
  const weird = `a b'c"$(echo no)`;
  const ok = await $`printf %s ${weird}`;
  assert.deepEqual([ok.code, ok.stdout], [0, weird]);
  const bad = await $`sh -c ${"echo boom >&2; exit 4"}`;
  assert.equal(bad.code, 4);
  assert.deepEqual(logged, [`ecli: ctx.$: exit 4: sh -c 'echo boom >&2; exit 4': boom`]);
});

Deno.test("ctx.$ runs at most `concurrency` commands at once", async () => {
  const $ = makeShell({ concurrency: 2, log: () => {} });
  const t0 = performance.now();
  await Promise.all([1, 2, 3, 4].map(() => $`sleep 0.2`));
  const ms = performance.now() - t0;
  assert.ok(ms >= 390, `4 sleeps of 0.2 s two at a time took ${ms} ms`);
});

Deno.test("--exec templates split like a shell, without running one", () => {
  const words = parseCommandTemplate(`printf '[%s]\\n' "{comm} x" {pid} a\\ b`);
  assert.deepEqual(words, ["printf", "[%s]\\n", "{comm} x", "{pid}", "a b"]);
  assert.deepEqual(templateFields(words), ["comm", "pid"]);
  assert.throws(() => parseCommandTemplate(`echo 'open`), /--exec: unclosed ' in 'echo 'open'/);
});
