#!/usr/bin/env bash
# The whole test suite: format, lint and type checks, then unit and kernel (e2e) tests.
# Installs what it needs first. Ends with a line "deno: N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
bash tools/setup.sh || exit 1

status=0
run() { echo "== $*"; "$@" || status=1; }
run deno fmt --check
run deno lint
run deno task --quiet check
# The single executable that tests/e2e/binary_test.ts runs (rebuilt only when a source changed).
run deno task --quiet compile --if-stale

echo "== deno test"
log=$(mktemp)
NO_COLOR=1 deno test -A --parallel "$@" 2>&1 | tee "$log"
[ "${PIPESTATUS[0]}" -eq 0 ] || status=1
summary=$(grep -E '^(ok|FAILED) \| [0-9]+ passed' "$log" | tail -n 1)
rm -f "$log"
passed=$(sed -nE 's/.*\| ([0-9]+) passed.*/\1/p' <<<"$summary")
failed=$(sed -nE 's/.*\| ([0-9]+) failed.*/\1/p' <<<"$summary")
ignored=$(sed -nE 's/.*\| ([0-9]+) ignored.*/\1/p' <<<"$summary")
line="deno: ${passed:-0} passed, ${failed:-0} failed"
[ -n "$ignored" ] && line+=", $ignored skipped"
[ -n "$summary" ] || status=1
echo "$line"
exit $status
