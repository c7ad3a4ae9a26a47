import assert from "node:assert/strict";
import {
  FormatError,
  formatHistKeyLines,
  formatLinearHist,
  formatLinearHistEntry,
  formatLog2Hist,
  formatLog2HistEntry,
} from "./mod.ts";

// Expected texts below were produced with C printf semantics (libbpf-tools' format strings
// fed to Python's %-formatting), not by this code.

Deno.test("log2 histogram: upstream's test vector, narrow layout", () => {
  assert.equal(
    formatLog2Hist([1, 8, 138, 512, 1029, 16], "qaq"),
    "     qaq                 : count    distribution\n" +
      "         0 -> 1          : 1        |                                        |\n" +
      "         2 -> 3          : 8        |                                        |\n" +
      "         4 -> 7          : 138      |*****                                   |\n" +
      "         8 -> 15         : 512      |*******************                     |\n" +
      "        16 -> 31         : 1029     |****************************************|\n" +
      "        32 -> 63         : 16       |                                        |\n",
  );
});

Deno.test("log2 histogram: rows stop at the last non-zero slot; all zero gives nothing", () => {
  assert.equal(
    formatLog2Hist([0, 3, 0, 0], "usecs"),
    "     usecs               : count    distribution\n" +
      "         0 -> 1          : 0        |                                        |\n" +
      "         2 -> 3          : 3        |****************************************|\n",
  );
  assert.equal(formatLog2Hist([0, 0, 0]), "");
  assert.equal(formatLog2Hist([]), "");
  // u64 slots decode to bigints.
  assert.equal(
    formatLog2Hist([2n, 1n]),
    "     (unit)              : count    distribution\n" +
      "         0 -> 1          : 2        |****************************************|\n" +
      "         2 -> 3          : 1        |********************                    |\n",
  );
});

Deno.test("log2 histogram: past slot 32 the columns widen to 20 and the bar halves", () => {
  const slots = new Array(40).fill(0);
  slots[0] = 2;
  slots[33] = 1;
  slots[35] = 4;
  const expected = [
    "               nsecs                         : count    distribution\n",
    "                   0 -> 1                    : 2        |**********          |\n",
    "                   2 -> 3                    : 0        |                    |\n",
    "                   4 -> 7                    : 0        |                    |\n",
    "                   8 -> 15                   : 0        |                    |\n",
    "                  16 -> 31                   : 0        |                    |\n",
    "                  32 -> 63                   : 0        |                    |\n",
    "                  64 -> 127                  : 0        |                    |\n",
    "                 128 -> 255                  : 0        |                    |\n",
    "                 256 -> 511                  : 0        |                    |\n",
    "                 512 -> 1023                 : 0        |                    |\n",
    "                1024 -> 2047                 : 0        |                    |\n",
    "                2048 -> 4095                 : 0        |                    |\n",
    "                4096 -> 8191                 : 0        |                    |\n",
    "                8192 -> 16383                : 0        |                    |\n",
    "               16384 -> 32767                : 0        |                    |\n",
    "               32768 -> 65535                : 0        |                    |\n",
    "               65536 -> 131071               : 0        |                    |\n",
    "              131072 -> 262143               : 0        |                    |\n",
    "              262144 -> 524287               : 0        |                    |\n",
    "              524288 -> 1048575              : 0        |                    |\n",
    "             1048576 -> 2097151              : 0        |                    |\n",
    "             2097152 -> 4194303              : 0        |                    |\n",
    "             4194304 -> 8388607              : 0        |                    |\n",
    "             8388608 -> 16777215             : 0        |                    |\n",
    "            16777216 -> 33554431             : 0        |                    |\n",
    "            33554432 -> 67108863             : 0        |                    |\n",
    "            67108864 -> 134217727            : 0        |                    |\n",
    "           134217728 -> 268435455            : 0        |                    |\n",
    "           268435456 -> 536870911            : 0        |                    |\n",
    "           536870912 -> 1073741823           : 0        |                    |\n",
    "          1073741824 -> 2147483647           : 0        |                    |\n",
    "          2147483648 -> 4294967295           : 0        |                    |\n",
    "          4294967296 -> 8589934591           : 0        |                    |\n",
    "          8589934592 -> 17179869183          : 1        |*****               |\n",
    "         17179869184 -> 34359738367          : 0        |                    |\n",
    "         34359738368 -> 68719476735          : 4        |********************|\n",
  ].join("");
  assert.equal(formatLog2Hist(slots, "nsecs"), expected);
});

Deno.test("log2 histogram entry of a sampled map (runqlat's hists), as upstream prints it", () => {
  const slots = Array.from({ length: 26 }, (_, i) => 1000 + i);
  const key = { u32: 305419896 };
  const value = { slots, comm: "COMM-STR" };
  assert.equal(formatHistKeyLines(key, value), "key =  305419896\ncomm = COMM-STR\n");
  const hist = [
    "     (unit)              : count    distribution\n",
    "         0 -> 1          : 1000     |*************************************** |\n",
    "         2 -> 3          : 1001     |*************************************** |\n",
    "         4 -> 7          : 1002     |*************************************** |\n",
    "         8 -> 15         : 1003     |*************************************** |\n",
    "        16 -> 31         : 1004     |*************************************** |\n",
    "        32 -> 63         : 1005     |*************************************** |\n",
    "        64 -> 127        : 1006     |*************************************** |\n",
    "       128 -> 255        : 1007     |*************************************** |\n",
    "       256 -> 511        : 1008     |*************************************** |\n",
    "       512 -> 1023       : 1009     |*************************************** |\n",
    "      1024 -> 2047       : 1010     |*************************************** |\n",
    "      2048 -> 4095       : 1011     |*************************************** |\n",
    "      4096 -> 8191       : 1012     |*************************************** |\n",
    "      8192 -> 16383      : 1013     |*************************************** |\n",
    "     16384 -> 32767      : 1014     |*************************************** |\n",
    "     32768 -> 65535      : 1015     |*************************************** |\n",
    "     65536 -> 131071     : 1016     |*************************************** |\n",
    "    131072 -> 262143     : 1017     |*************************************** |\n",
    "    262144 -> 524287     : 1018     |*************************************** |\n",
    "    524288 -> 1048575    : 1019     |*************************************** |\n",
    "   1048576 -> 2097151    : 1020     |*************************************** |\n",
    "   2097152 -> 4194303    : 1021     |*************************************** |\n",
    "   4194304 -> 8388607    : 1022     |*************************************** |\n",
    "   8388608 -> 16777215   : 1023     |*************************************** |\n",
    "  16777216 -> 33554431   : 1024     |*************************************** |\n",
    "  33554432 -> 67108863   : 1025     |****************************************|\n",
  ].join("");
  assert.equal(formatLog2Hist(slots), hist);
  assert.equal(
    formatLog2HistEntry(key, value),
    "key =  305419896\ncomm = COMM-STR\n\n" + hist + "\n",
  );
  // A non-struct key is one member; a struct key prints each member after a space.
  assert.equal(formatHistKeyLines(7, { slots }), "key =  7\n");
  assert.equal(formatHistKeyLines({ pid: 1, comm: "sh" }, { slots }), "key =  1 sh\n");
  assert.throws(() => formatLog2HistEntry(key, { comm: "x" }), FormatError);
});

Deno.test("linear histogram: bcc-style rows from the first to the last non-zero slot", () => {
  assert.equal(
    formatLinearHist([0, 3, 0, 1, 0], { unit: "ms", base: 10, step: 5 }),
    "     ms            : count    distribution\n" +
      "        15         : 3        |****************************************|\n" +
      "        20         : 0        |                                        |\n" +
      "        25         : 1        |*************                           |\n",
  );
  assert.equal(
    formatLinearHist([2]),
    "     value         : count    distribution\n" +
      "        0          : 2        |****************************************|\n",
  );
  assert.equal(formatLinearHist([0, 0]), "");
  assert.equal(
    formatLinearHistEntry({ cpu: 1 }, { slots: [0, 1] }, { unit: "depth" }),
    "key =  1\n\n" +
      "     depth         : count    distribution\n" +
      "        1          : 1        |****************************************|\n\n",
  );
});
