import assert from "node:assert/strict";
import { compileBpf } from "../../tests/support/clang.ts";
import { Kind, readBpfObject } from "../btf/mod.ts";
import { buildDecoder, buildRowDecoder, structFields } from "../decode/mod.ts";
import { formatTableHeader, formatTableRow, toJsonLine } from "./mod.ts";

const SOURCE = `
enum kind { EXEC = 1, EXIT = 2 };
struct event {
  int pid;
  unsigned long long ts;
  char comm[16];
  enum kind kind;
  union { long long ret; unsigned int code; };
};
struct event ev;
`;

Deno.test("a decoded event prints as a table row and as an exact JSON line", () => {
  const { btf } = readBpfObject(compileBpf(SOURCE));
  const id = btf.find("event", Kind.STRUCT)!.id;
  const buf = new Uint8Array(btf.sizeOf(id));
  const v = new DataView(buf.buffer);
  v.setInt32(0, 506334, true);
  v.setBigUint64(8, 18446744073709551615n, true);
  buf.set(new TextEncoder().encode("cat"), 16);
  v.setUint32(32, 2, true);
  v.setBigInt64(40, -2n, true);

  const fields = structFields(btf, id);
  const { header, columns } = formatTableHeader(fields.map((f) => f.name));
  assert.equal(header, "TIME     PID    TS     COMM   KIND   RET    CODE   ");
  const clock = () => new Date(2024, 0, 2, 9, 5, 7).getTime();
  assert.equal(
    formatTableRow(columns, buildRowDecoder(btf, fields)(buf), clock),
    "09:05:07  506334 18446744073709551615 cat EXIT -2 4294967294",
  );
  assert.equal(
    toJsonLine(buildDecoder(btf, id)(buf)),
    '{"pid":506334,"ts":18446744073709551615,"comm":"cat","kind":"EXIT","ret":-2,' +
      '"code":4294967294}',
  );
});
