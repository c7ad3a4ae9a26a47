#!/usr/bin/env bash
# The whole test suite: format, lint and type checks, unit and kernel (e2e) tests under Deno,
# then the CLI e2e tests again through `bun cli.ts` and through the compiled executable, then
# the qemu harness's self-test and the kernel matrix (the kernel suite on Debian 5.10, 6.1,
# 6.12 and 7.x under qemu; see tests/vm/README.md). With arguments, only `deno test ARGS` runs.
# Installs what it needs first. Ends with a line "tests: N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
bash tools/setup.sh || exit 1

status=0
passed=0
failed=0
ignored=0
run() { echo "== $*"; "$@" || status=1; }
run deno fmt --check
run deno lint
run deno task --quiet check
# The single executable that the binary e2e tests run (rebuilt only when a source changed).
run deno task --quiet compile --if-stale

# deno test with its summary added to the totals.
suite() {
  local label=$1
  shift
  echo "== $label: deno test $*"
  local log
  log=$(mktemp)
  NO_COLOR=1 deno test -A "$@" 2>&1 | tee "$log"
  [ "${PIPESTATUS[0]}" -eq 0 ] || status=1
  local summary
  summary=$(grep -E '^(ok|FAILED) \| [0-9]+ passed' "$log" | tail -n 1)
  rm -f "$log"
  [ -n "$summary" ] || { status=1; return; }
  passed=$((passed + $(sed -nE 's/.*\| ([0-9]+) passed.*/\1/p' <<<"$summary")))
  failed=$((failed + $(sed -nE 's/.*\| ([0-9]+) failed.*/\1/p' <<<"$summary")))
  local ign
  ign=$(sed -nE 's/.*\| ([0-9]+) ignored.*/\1/p' <<<"$summary")
  ignored=$((ignored + ${ign:-0}))
}

suite "deno" --parallel "$@"
if [ $# -eq 0 ]; then
  # Seeded fuzzing of every reader of untrusted bytes (~2,000 inputs each, ~40 s).
  run deno task --quiet fuzz --runs 2000 --seed 16
  ECLI_RUNTIME=bun suite "bun cli.ts" --parallel tests/e2e/
  ECLI_RUNTIME=binary suite "dist/ecli" --parallel tests/e2e/
  suite "qemu harness" tests/vm/harness.vmtest.ts
  echo "== kernel matrix: deno task test:kernels"
  log=$(mktemp)
  NO_COLOR=1 deno task --quiet test:kernels 2>&1 | tee "$log"
  [ "${PIPESTATUS[0]}" -eq 0 ] || status=1
  summary=$(grep -E '^kernel matrix: [0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
  rm -f "$log"
  if [ -n "$summary" ]; then
    passed=$((passed + $(sed -nE 's/.*: ([0-9]+) passed.*/\1/p' <<<"$summary")))
    failed=$((failed + $(sed -nE 's/.* ([0-9]+) failed.*/\1/p' <<<"$summary")))
    ignored=$((ignored + $(sed -nE 's/.* ([0-9]+) skipped.*/\1/p' <<<"$summary")))
  else
    status=1
  fi
fi

line="tests: $passed passed, $failed failed"
[ "$ignored" -gt 0 ] && line+=", $ignored skipped"
echo "$line"
exit $status
