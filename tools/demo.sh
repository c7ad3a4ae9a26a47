#!/usr/bin/env bash
# Demo: compile the bundled procsnoop example, run it on the kernel for a few seconds while a
# few processes start and exit, and show the decoded events. Stops by itself.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/setup.sh
out=$(mktemp -d /tmp/ecli-demo.XXXXXX)
trap 'rm -rf "$out"' EXIT
ex=examples/procsnoop
ecli() { deno run -A cli.ts "$@"; }

echo "\$ ecc $ex/procsnoop.bpf.c $ex/procsnoop.h -o $out"
ecli compile "$ex/procsnoop.bpf.c" "$ex/procsnoop.h" -o "$out"
echo
echo "\$ ecli info $out/package.json"
ecli info "$out/package.json"
echo
echo "\$ ecli run $out/package.json --duration 4    # meanwhile: ls, sh -c 'exit 3', sleep 0.2"
ecli run "$out/package.json" --duration 4 2>"$out/stderr" &
run=$!
for _ in $(seq 100); do grep -q "attached" "$out/stderr" 2>/dev/null && break; sleep 0.1; done
cat "$out/stderr"
ls / >/dev/null
sh -c 'exit 3' || true
sleep 0.2
wait "$run"

echo
echo "\$ ecli run bootstrap.wasm -d 50 -t 3    # the same tracer as a wasm-bpf guest; meanwhile: sh -c 'sleep 0.1; exit 3'"
deno run -A examples/wasm/build.ts "$ex/procsnoop.bpf.c" "$ex/procsnoop.h" examples/wasm/bootstrap/bootstrap.c -o "$out/bootstrap.wasm" 2>/dev/null
ecli run "$out/bootstrap.wasm" -d 50 -t 3 &
wasm=$!
sleep 1.5
sh -c 'sleep 0.1; exit 3' || true
wait "$wasm"
