import assert from "node:assert/strict";
import {
  formatKvHeader,
  formatKvRow,
  formatTableHeader,
  formatTableRow,
  formatTimeOfDay,
  plainText,
} from "./mod.ts";

/** A clock stopped at 16:58:31 local time. */
const clock = () => new Date(2024, 0, 2, 16, 58, 31).getTime();

Deno.test("table header: upstream's example, columns at least 6 wide plus a space", () => {
  const fields = ["arr1", "str", "str_arr", "ft", "dbl", "u8v", "i8v", "u16v", "i16v", "u32v"]
    .concat(["i32v", "u64v", "i64v", "e"]);
  const { header, columns } = formatTableHeader(fields);
  assert.equal(
    header,
    "TIME     ARR1   STR    STR_ARR FT     DBL    U8V    I8V    U16V   I16V   U32V   I32V   U64V   I64V   E      ",
  );
  assert.deepEqual(columns, [9, 16, 23, 31, 38, 45, 52, 59, 66, 73, 80, 87, 94, 101]);
});

Deno.test("table row: upstream's example values, long values push later ones right", () => {
  const { columns } = formatTableHeader(
    ["arr1", "str", "str_arr", "ft", "dbl", "u8v", "i8v", "u16v", "i16v", "u32v", "i32v", "u64v"]
      .concat(["i64v", "e"]),
  );
  const arr1 = [[[0, 1, 2, 3], [256, 257, 258, 259], [512, 513, 514, 515]], [[65536, 65537]]];
  const strArr = Array.from({ length: 3 }, (_, i) => `hello ${i}`);
  const values: unknown[] = [arr1, "A-String", strArr, 1.2300000190734863, 4.56, 18, -18];
  values.push(4660, -4660, 305419896, -305419896, 1311768467463790320n, -1311768467463790320n);
  values.push("E_A");
  assert.equal(
    formatTableRow(columns, values, clock),
    "16:58:31  [[[0,1,2,3],[256,257,258,259],[512,513,514,515]],[[65536,65537]]] A-String " +
      '["hello 0","hello 1","hello 2"] 1.2300000190734863 4.56 18 -18 4660 -4660 305419896 ' +
      "-305419896 1311768467463790320 -1311768467463790320 E_A",
  );
});

Deno.test("table row: short values are padded to their column, full ones get one space", () => {
  const { header, columns } = formatTableHeader(["pid", "comm", "ret", "ok"]);
  assert.equal(header, "TIME     PID    COMM   RET    OK     ");
  assert.equal(
    formatTableRow(columns, [42, "bash", -1, true], clock),
    "16:58:31  42    bash   -1     true",
  );
  assert.equal(
    formatTableRow(columns, [506334, "systemd", 18446744073709551615n, false], clock),
    "16:58:31  506334 systemd 18446744073709551615 false",
  );
  assert.equal(
    formatTableRow(columns, [1, { x: 1n, y: [true] }, NaN, null], clock),
    '16:58:31  1     {"x":1,"y":[true]} null null',
  );
});

Deno.test("time of day is local HH:MM:SS, zero padded", () => {
  assert.equal(formatTimeOfDay(new Date(2024, 5, 1, 1, 2, 3).getTime()), "01:02:03");
  assert.equal(formatTimeOfDay(new Date(2024, 5, 1, 23, 59, 59, 999).getTime()), "23:59:59");
  assert.equal(formatTimeOfDay(new Date(2024, 5, 2, 0, 0, 0).getTime()), "00:00:00");
});

Deno.test("plain text of single values", () => {
  assert.equal(plainText("a b"), "a b");
  assert.equal(plainText(-0), "0");
  assert.equal(plainText(1e21), "1e+21");
  assert.equal(plainText(-9223372036854775808n), "-9223372036854775808");
  assert.equal(plainText(["x", 1n]), '["x",1]');
});

Deno.test("default_kv: header from key and value fields, rows of compact JSON", () => {
  assert.equal(formatKvHeader(["u32"], ["slots", "comm"]), "TIME     U32    SLOTS  COMM   ");
  assert.equal(
    formatKvRow({ u32: 305419896 }, { slots: [1000, 1001, 1002], comm: "COMM-STR" }, clock),
    '16:58:31 {"u32":305419896} {"slots":[1000,1001,1002],"comm":"COMM-STR"}',
  );
  assert.equal(
    formatKvRow({ "": 18446744073709551615n }, { "": -1 }, clock),
    '16:58:31 {"":18446744073709551615} {"":-1}',
  );
});
