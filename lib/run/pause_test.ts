import assert from "node:assert/strict";
import { PauseGate } from "./pause.ts";

Deno.test("PauseGate: a resume that comes while the round is still closing is not lost", async () => {
  const gate = new PauseGate();
  const stop = new AbortController();
  const first = gate.round;
  const paused = gate.pause();
  assert.equal(first.aborted, true);
  assert.equal(gate.paused, true);
  // resume() before the loop has closed its readers and started waiting.
  const resumed = gate.resume();
  assert.equal(gate.paused, false);
  assert.equal(gate.round.aborted, false);
  gate.roundEnded();
  await paused;
  const request = await gate.waitResume(stop.signal);
  assert.ok(request);
  request.resolve();
  await resumed;
});

Deno.test("PauseGate: waiting loop gets the resume; stop ends the wait and a pending resume", async () => {
  const gate = new PauseGate();
  const stop = new AbortController();
  gate.pause();
  gate.roundEnded();
  const waiting = gate.waitResume(stop.signal);
  const resumed = gate.resume();
  const request = await waiting;
  request!.reject(new Error("attach failed"));
  await assert.rejects(resumed, /attach failed/);

  gate.pause();
  gate.roundEnded();
  const late = gate.resume();
  stop.abort();
  assert.equal(await gate.waitResume(stop.signal), undefined);
  await assert.rejects(late, /the run ended/);
});
