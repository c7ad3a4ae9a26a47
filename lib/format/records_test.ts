import assert from "node:assert/strict";
import { recordWriter } from "./records.ts";

const rows = [
  { pid: 1, comm: "a,b", path: `x "y"\nz`, big: 18446744073709551615n, ok: true },
  { pid: 2, comm: "tab\there", path: "back\\slash", big: 0n, ok: false },
];

Deno.test("csv quotes commas, quotes and line breaks (RFC 4180); 64-bit values exact", () => {
  const w = recordWriter("csv");
  assert.equal(
    rows.map(w).join(""),
    `pid,comm,path,big,ok\n1,"a,b","x ""y""\nz",18446744073709551615,true\n` +
      `2,tab\there,back\\slash,0,false\n`,
  );
});

Deno.test("tsv escapes tab, line breaks and backslash", () => {
  const w = recordWriter("tsv");
  assert.equal(
    rows.map(w).join(""),
    `pid\tcomm\tpath\tbig\tok\n1\ta,b\tx "y"\\nz\t18446744073709551615\ttrue\n` +
      `2\ttab\\there\tback\\\\slash\t0\tfalse\n`,
  );
});

Deno.test("logfmt quotes values with spaces, quotes or =; nested values are JSON", () => {
  const w = recordWriter("logfmt");
  assert.equal(
    w({ a: "plain", b: "two words", c: 'q"', d: "", e: [1, 2], f: 7n }),
    `a=plain b="two words" c="q\\"" d="" e=[1,2] f=7\n`,
  );
  assert.equal(w(42), "value=42\n");
});
