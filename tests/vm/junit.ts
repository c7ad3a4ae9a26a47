/**
 * Reads the JUnit XML that `deno test --junit-path` writes: one outcome per test, so a kernel ×
 * test table can be built from runs inside guests.
 * @module
 */

/** One test's outcome. */
export interface TestOutcome {
  /** The JUnit suite: the module that called `Deno.test` (a helper for wrapped tests). */
  file: string;
  /** The test name, without the ` (skipped: …)` suffix kernel tests add when they skip. */
  name: string;
  outcome: "pass" | "fail" | "skip";
  /** Failure message, or the skip reason. */
  detail?: string;
}

const ENTITIES: Record<string, string> = {
  "&lt;": "<",
  "&gt;": ">",
  "&quot;": '"',
  "&apos;": "'",
  "&amp;": "&",
};

function unescape(s: string): string {
  return s.replace(/&(?:lt|gt|quot|apos|amp);/g, (e) => ENTITIES[e]);
}

/** Parses deno's JUnit report; throws when it holds no test case at all. */
export function parseJunit(xml: string): TestOutcome[] {
  const out: TestOutcome[] = [];
  const suites = /<testsuite name="([^"]*)"[^>]*>([\s\S]*?)<\/testsuite>/g;
  for (const suite of xml.matchAll(suites)) parseCases(unescape(suite[1]), suite[2], out);
  if (out.length === 0) throw new Error("JUnit report without test cases");
  return out;
}

function parseCases(file: string, xml: string, out: TestOutcome[]): void {
  const cases = /<testcase name="([^"]*)"[^>]*?(\/>|>([\s\S]*?)<\/testcase>)/g;
  for (const m of xml.matchAll(cases)) {
    const body = m[3] ?? "";
    const full = unescape(m[1]);
    const skipReason = full.match(/ \(skipped: (.*)\)$/)?.[1];
    const name = skipReason === undefined ? full : full.slice(0, full.lastIndexOf(" (skipped: "));
    const failure = body.match(/<failure message="([^"]*)"/);
    if (failure) {
      out.push({ file, name, outcome: "fail", detail: unescape(failure[1]) });
    } else if (/<skipped\s*\/>/.test(body)) {
      out.push({ file, name, outcome: "skip", detail: skipReason });
    } else out.push({ file, name, outcome: "pass" });
  }
}
