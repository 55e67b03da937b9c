#!/usr/bin/env bash
# Installs everything kedge and its tests need on a Debian machine, idempotently and without prompts:
# system packages, the npm dependencies (Node 24 comes with them) and the local busybox image.
set -euo pipefail
cd "$(dirname "$0")/.."

# podman/runc/busybox-static: containers; etcd: the store benchmark's anchor and external datastore tests;
# iproute2: network namespaces for partition tests; openssl: test certificates; chromium: dashboard tests; nftables: the kernel proxy path.
packages=(podman runc busybox-static etcd-server etcd-client iproute2 openssl ca-certificates chromium nftables)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  sudo=''
  [[ $(id -u) -eq 0 ]] || sudo='sudo'
  echo "setup: installing ${missing[*]}" >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi
# etcd-server starts a system etcd on :2379 as a service; kedge's tests and benches run their own.
if command -v systemctl >/dev/null && systemctl is-active --quiet etcd 2>/dev/null; then
  systemctl stop etcd || true
fi

if [[ -f package-lock.json ]]; then npm ci --no-audit --no-fund; else npm install --no-audit --no-fund; fi

node_modules/.bin/kedge image build-base
