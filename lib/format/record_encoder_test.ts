import assert from "node:assert/strict";
import { BtfTypes } from "../../tests/support/btf_builder.ts";
import { type Btf, Kind } from "../btf/mod.ts";
import { buildDecoder, buildRowDecoder, structFields } from "../decode/mod.ts";
import {
  buildJsonLineEncoder,
  buildTableRowEncoder,
  formatTableHeader,
  formatTableRow,
  toJsonLine,
} from "./mod.ts";

const SIGNED = 1, CHAR = 2, BOOL = 4;
const clock = () => new Date(2024, 0, 2, 16, 58, 31).getTime();
const text = new TextDecoder();

/** Both encoders' lines for `rec` next to the decoder paths' lines. */
function lines(btf: Btf, id: number, rec: Uint8Array) {
  const fields = structFields(btf, id);
  const { columns } = formatTableHeader(fields.map((f) => f.name));
  const table = buildTableRowEncoder(btf, fields, columns, clock);
  const json = buildJsonLineEncoder(btf, id);
  assert.ok(table && json);
  const dst = new Uint8Array(Math.max(table.maxBytes, json.maxBytes));
  return {
    table: text.decode(dst.subarray(0, table(rec, dst, 0))),
    tableWant: formatTableRow(columns, buildRowDecoder(btf, fields)(rec), clock) + "\n",
    json: text.decode(dst.subarray(0, json(rec, dst, 0))),
    jsonWant: toJsonLine(buildDecoder(btf, id)(rec)) + "\n",
  };
}

Deno.test("record encoders: bool encodings of every width, a single char, pahole's char arrays", () => {
  const t = new BtfTypes(CHAR); // pahole marks char with the CHAR encoding
  const uchar = t.int("u_char", 1, CHAR);
  const name = t.ref(Kind.TYPEDEF, t.array(t.char, 4), "name_t");
  const s = t.struct("s", 32, [
    ["b1", t.int("_Bool", 1, BOOL), 0],
    ["p1", t.int("_Bool", 1), 8], // a producer that leaves the encoding out
    ["b2", t.int("bool16", 2, BOOL), 16],
    ["b4", t.int("bool32", 4, BOOL), 32],
    ["b8", t.int("bool64", 8, BOOL), 64],
    ["c", t.char, 128],
    ["u", t.array(uchar, 4), 136],
    ["n", name, 168],
    ["k", t.array(t.ref(Kind.CONST, t.char), 3), 200],
    ["z", t.array(t.char, 0), 224],
    ["ptr", t.ref(Kind.PTR, t.char), 192],
  ]);
  const btf = t.build();
  const rec = new Uint8Array(32);
  for (let i = 0; i < 64; i++) {
    rec.fill(0);
    // Each bool word nonzero in one byte only, in turn (the high half of the 64-bit one too).
    if (i & 1) rec[i % 2 ? 0 : 1] = 1;
    if (i & 2) rec[2 + ((i >> 3) & 1)] = 0x80;
    if (i & 4) rec[4 + ((i >> 3) & 3)] = 1;
    if (i & 8) rec[8 + ((i >> 2) & 7)] = 0x40;
    if (i & 16) rec[1] = 1;
    rec[16] = i & 32 ? 0xff : 65;
    rec.set([0x6f, 0x6b, i & 1 ? 0xc3 : 0, 0xa9], 17);
    rec.set([0x61, 0x62, 0x63, i], 21);
    rec.set([0x78, 0x79, 0x7a], 25);
    new DataView(rec.buffer).setBigUint64(24, BigInt(i) << 58n, true);
    const l = lines(btf, s, rec);
    assert.equal(l.table, l.tableWant);
    assert.equal(l.json, l.jsonWant);
  }
  rec.fill(0);
  rec[12] = 1; // only the high half of the 64-bit bool
  rec[16] = 0xff;
  rec.set([0x6f, 0x6b], 17);
  assert.equal(
    lines(btf, s, rec).json,
    '{"b1":false,"p1":false,"b2":false,"b4":false,"b8":true,"c":-1,"u":"ok","n":"","k":"",' +
      '"z":"","ptr":0}\n',
  );
});

Deno.test("record encoders: layouts with anything else are left to the decoders", () => {
  const t = new BtfTypes();
  const point = t.struct("point", 4, [["x", t.s16, 0], ["y", t.s16, 16]]);
  const others: [string, number][] = [
    ["enum", t.enum("color", 4, [["RED", 0]])],
    ["enum64", t.enum64("big", [["B", 1n]])],
    ["float", t.b.add("float", Kind.FLOAT, 0, 4)],
    ["double", t.b.add("double", Kind.FLOAT, 0, 8)],
    ["nested struct", point],
    ["int array", t.array(t.s32, 1)],
    ["2-D char array", t.array(t.array(t.char, 2), 2)],
    ["unsigned char array", t.array(t.u8, 4)],
    ["signed char array", t.array(t.s8, 4)],
    ["__u8 array", t.array(t.ref(Kind.TYPEDEF, t.u8, "__u8"), 4)],
    ["__int128", t.int("__int128", 16, SIGNED)],
    ["3-byte int", t.int("u24", 3)],
    ["int with encoded bits", t.int("int", 4, SIGNED, 3, 2)],
  ];
  const ids = others.map(([what, type]) =>
    [what, t.struct(what, 24, [["pid", t.u32, 0], ["x", type, 64]])] as const
  );
  const bits = t.struct("bits", 8, [["pid", t.u32, 0], ["x", t.u32, 32, 3]]);
  const odd = t.struct("odd", 8, [["pid", t.u32, 0], ["x", t.u32, 36]]);
  const btf = t.build();
  for (const [what, id] of [...ids, ["bitfield", bits] as const, ["bit offset", odd] as const]) {
    const fields = structFields(btf, id);
    const { columns } = formatTableHeader(fields.map((f) => f.name));
    assert.equal(buildTableRowEncoder(btf, fields, columns), undefined, what);
    assert.equal(buildJsonLineEncoder(btf, id), undefined, what);
    // The first field alone is fine.
    assert.ok(buildTableRowEncoder(btf, fields.slice(0, 1), columns), what);
  }
});
