#!/usr/bin/env bash
# Debian packages the tests use as real services: redis-server (the approval store shared by replicas; tests start
# and stop their own instance on a free loopback port) and chromium (the console's browser tests, driven by
# playwright-core). Uses what is on PATH; otherwise installs with apt-get (root, e.g. npm test in CI), or says what to run.
set -euo pipefail
missing=()
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
command -v chromium >/dev/null 2>&1 || [[ -x "${CHROMIUM_PATH:-/usr/bin/chromium}" ]] || missing+=(chromium)
[[ ${#missing[@]} -eq 0 ]] && exit 0
if [[ $(id -u) -ne 0 ]] || ! command -v apt-get >/dev/null 2>&1; then
  echo "install-services: missing ${missing[*]}; install Debian's packages: sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
echo "install-services: apt-get install -y ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# The Debian package starts a system redis-server on 6379 where an init system runs; the tests do not use it.
