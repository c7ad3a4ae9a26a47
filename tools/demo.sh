#!/usr/bin/env bash
# Demo: compile the bundled procsnoop example into a package and summarise it.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/setup.sh
out=$(mktemp -d /tmp/ecli-demo.XXXXXX)
trap 'rm -rf "$out"' EXIT
ex=examples/procsnoop
echo "\$ ecc $ex/procsnoop.bpf.c $ex/procsnoop.h -o $out"
deno run -A cli.ts compile "$ex/procsnoop.bpf.c" "$ex/procsnoop.h" -o "$out"
echo
echo "\$ ecli info $out/package.json"
deno run -A cli.ts info "$out/package.json"
