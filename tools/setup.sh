#!/usr/bin/env bash
# Installs what ecli-ts needs on Debian 12 (as root): clang/llvm/libbpf/bpftool from apt,
# deno and bun from npm, the npm dependencies, and the tracefs/bpffs mounts.
# Idempotent, and silent when everything is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { echo "setup: $*" >&2; }

apt_missing=()
have() { command -v "$1" >/dev/null 2>&1; }
have clang || apt_missing+=(clang)
have llvm-strip || apt_missing+=(llvm)
have bpftool || apt_missing+=(bpftool)
have xz || apt_missing+=(xz-utils)
[ -e /usr/include/bpf/bpf_helpers.h ] || apt_missing+=(libbpf-dev)
ldconfig -p 2>/dev/null | grep -q 'libbpf\.so\.1 ' || apt_missing+=(libbpf1)
[ -e /usr/include/asm-generic/types.h ] || apt_missing+=(linux-libc-dev)
if ((${#apt_missing[@]})); then
  say "installing ${apt_missing[*]} (apt)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends "${apt_missing[@]}" >/dev/null
fi

npm_missing=()
have deno || npm_missing+=(deno)
have bun || npm_missing+=(bun)
if ((${#npm_missing[@]})); then
  say "installing ${npm_missing[*]} (npm)"
  npm install -g --silent --no-audit --no-fund "${npm_missing[@]}" >/dev/null 2>&1
fi

if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "installing npm dependencies"
  npm ci --silent --no-audit --no-fund >/dev/null
fi

# Tracepoints need tracefs; pinning and bpftool need bpffs.
if [ ! -e /sys/kernel/tracing/events ] && ! mountpoint -q /sys/kernel/tracing 2>/dev/null; then
  mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null || say "could not mount tracefs"
fi
if ! mountpoint -q /sys/fs/bpf 2>/dev/null; then
  mount -t bpf bpf /sys/fs/bpf 2>/dev/null || say "could not mount bpffs"
fi
