import assert from "node:assert/strict";
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { compileBpf, nativeStdout } from "../../tests/support/clang.ts";
import { FILL, TYPES } from "../../tests/support/event_types.ts";
import { Kind, readBpfObject } from "../btf/mod.ts";
import type { MapMeta } from "../package/mod.ts";
import { makePrinter, type OutputFormat } from "./printer.ts";
import { FdOutput, MemoryOutput } from "./output.ts";

const SOURCE = `${TYPES}
struct small { unsigned int pid; char comm[16]; unsigned long long ts; _Bool ok; };
struct event ev;
struct small sm;
`;
const { btf } = readBpfObject(compileBpf(SOURCE));
const clock = () => new Date(2024, 0, 2, 9, 5, 7).getTime();

/**
 * What a printer writes to a file descriptor for `records`, and whether it went through the
 * string path (`FdOutput.write`) rather than a byte encoder.
 */
function printedToFd(typeId: number, format: OutputFormat, records: Uint8Array[]) {
  const dir = mkdtempSync(join(tmpdir(), "ecli-printer-"));
  const path = join(dir, "out");
  const fd = openSync(path, "w");
  try {
    const out = new FdOutput(fd, 256); // small: flushes between records too
    const p = makePrinter({ kind: "ringbuf", map: {} as MapMeta, typeId }, btf, format, out, clock);
    if (p.header) out.write(p.header);
    let strings = false;
    const write = out.write.bind(out);
    out.write = (text) => (strings = true, write(text));
    for (const r of records) {
      p.record!(r);
      // The ring reader's form: the same record at an offset of a larger view.
      const ring = new Uint8Array(r.length + 5);
      ring.set(r, 5);
      p.recordAt!(new DataView(ring.buffer), 5, r.length);
    }
    out.flush();
    return { text: readFileSync(path, "utf8"), strings };
  } finally {
    closeSync(fd);
    rmSync(dir, { recursive: true });
  }
}

/** The same through the string path (a MemoryOutput has no byte buffer). */
function printedToMemory(typeId: number, format: OutputFormat, records: Uint8Array[]): string {
  const out = new MemoryOutput();
  const p = makePrinter({ kind: "ringbuf", map: {} as MapMeta, typeId }, btf, format, out, clock);
  if (p.header) out.write(p.header);
  for (const r of records) {
    p.record!(r);
    p.record!(r);
  }
  return out.text;
}

Deno.test("printer: byte encoders to an fd print what the string path prints", () => {
  const small = btf.find("small", Kind.STRUCT)!;
  let seed = 9;
  const records = Array.from({ length: 200 }, () => {
    const r = new Uint8Array(small.size);
    for (let k = 0; k < r.length; k++) r[k] = (seed = (Math.imul(seed, 69069) + 1) >>> 0) >>> 24;
    r[28] &= 1; // the bool
    r.forEach((c, k) => c === 10 && (r[k] = 11)); // one line per record
    return r;
  });
  records[0].fill(0);
  records[0].set(new TextEncoder().encode("cat"), 4);
  for (const format of ["plain", "json"] as const) {
    const fd = printedToFd(small.id, format, records);
    assert.equal(fd.strings, false, `${format}: written by the byte encoder`);
    assert.equal(fd.text, printedToMemory(small.id, format, records), format);
    assert.equal(fd.text.split("\n").length, format === "plain" ? 402 : 401);
  }
  const plain = printedToFd(small.id, "plain", records.slice(0, 1)).text.split("\n");
  assert.deepEqual(plain, [
    "TIME     PID    COMM   TS     OK     ",
    "09:05:07  0     cat    0      false",
    "09:05:07  0     cat    0      false",
    "",
  ]);
});

Deno.test("printer: a layout the encoders cannot do (the decoder test's event) keeps the string path", () => {
  const event = btf.find("event", Kind.STRUCT)!;
  const raw = nativeStdout(FILL);
  const plain = printedToFd(event.id, "plain", [raw]);
  assert.equal(plain.strings, true);
  assert.equal(plain.text, printedToMemory(event.id, "plain", [raw]));
  assert.equal(
    plain.text.split("\n")[1],
    '09:05:07  4294967295 true ecli-test 1065353216 1 {"x":65535,"y":-2} [[0,-1,-2],[10,9,8]] ' +
      '["alpha","12345678"] BLUE 1.5 -0.25 18446612682375452280 ' +
      '{"a":5,"b":-16,"c":1048575,"d":-3,"e":1094624909430,"f":-4194304,"g":true,"h":"BLUE"} ' +
      "1267650600228229401496703205383 -9007199254740993 [0,17,34,51,68,255]",
  );
  const json = printedToFd(event.id, "json", [raw]);
  assert.equal(json.strings, true);
  assert.equal(json.text, printedToMemory(event.id, "json", [raw]));
});
