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
# The OCI tests run a local registry (htpasswd makes its bcrypt password file).
have docker-registry || apt_missing+=(docker-registry)
have htpasswd || apt_missing+=(apache2-utils)
have bpftool || apt_missing+=(bpftool)
have xz || apt_missing+=(xz-utils)
[ -e /usr/include/bpf/bpf_helpers.h ] || apt_missing+=(libbpf-dev)
ldconfig -p 2>/dev/null | grep -q 'libbpf\.so\.1 ' || apt_missing+=(libbpf1)
[ -e /usr/include/asm-generic/types.h ] || apt_missing+=(linux-libc-dev)
# <sys/sdt.h> for the USDT test's probe program.
[ -e /usr/include/x86_64-linux-gnu/sys/sdt.h ] || [ -e /usr/include/sys/sdt.h ] ||
  apt_missing+=(systemtap-sdt-dev)
# wasm-bpf guests (tests, examples/wasm): clang-14 for wasm32-wasi with Debian's wasi-libc.
have clang-14 || apt_missing+=(clang-14)
[ -e /usr/include/wasm32-wasi/stdio.h ] || apt_missing+=(wasi-libc)
have wasm-ld-14 || apt_missing+=(lld-14)
compgen -G '/usr/lib/llvm-14/lib/clang/*/lib/wasi/libclang_rt.builtins-wasm32.a' >/dev/null ||
  apt_missing+=(libclang-rt-14-dev-wasm32)
if ((${#apt_missing[@]})); then
  say "installing ${apt_missing[*]} (apt)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get -o DPkg::Lock::Timeout=600 update -qq >/dev/null
  apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${apt_missing[@]}" >/dev/null
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

# `--peers`: the benchmark's peers (bench/peers: cilium/ebpf in Go, BCC in Python, bpftrace),
# all from Debian; linux-headers-amd64 gives BCC a kernel tree when the kernel ships none.
if [ "${1:-}" = "--peers" ]; then
  peers_missing=()
  have go || peers_missing+=(golang-go)
  [ -d /usr/share/gocode/src/github.com/cilium/ebpf ] || peers_missing+=(golang-github-cilium-ebpf-dev)
  have bpftrace || peers_missing+=(bpftrace)
  /usr/bin/python3 -c 'import bcc' 2>/dev/null || peers_missing+=(python3-bpfcc)
  [ -e "/lib/modules/$(uname -r)/build" ] || ls -d /usr/src/linux-headers-*-amd64 >/dev/null 2>&1 ||
    peers_missing+=(linux-headers-amd64)
  if ((${#peers_missing[@]})); then
    say "installing ${peers_missing[*]} (apt, benchmark peers)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get -o DPkg::Lock::Timeout=600 update -qq >/dev/null
    apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${peers_missing[@]}" >/dev/null
  fi
fi
