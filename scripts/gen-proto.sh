#!/usr/bin/env bash
# Regenerate proto/mcp-authz.binpb: a FileDescriptorSet (with all imports) for the services mcp-authz serves.
# Sources come from registry packages, never from copies in this repo:
#   - Envoy, xDS, googleapis and protoc-gen-validate trees: @grpc/grpc-js-xds (deps/)
#   - grpc.health.v1: grpc-health-check (proto/health/v1/health.proto)
#   - google/protobuf well-known types: built into buf
# The compiler is buf (github.com/bufbuild/buf, pinned in scripts/tool-versions.sh, installed by install-tools.sh).
#   scripts/gen-proto.sh          regenerate
#   scripts/gen-proto.sh --check  fail if the committed file is stale
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="$root/proto/mcp-authz.binpb"
xds="$root/node_modules/@grpc/grpc-js-xds/deps"
health="$root/node_modules/grpc-health-check/proto/health/v1/health.proto"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
bash "$root/scripts/install-tools.sh" buf
. "$root/scripts/env.sh"

for m in envoy-api googleapis xds protoc-gen-validate; do cp -R "$xds/$m" "$work/$m"; done
mkdir -p "$work/health/grpc/health/v1"
cp "$health" "$work/health/grpc/health/v1/health.proto"
cat > "$work/buf.yaml" <<'YAML'
version: v2
modules:
  - path: envoy-api
  - path: googleapis
  - path: xds
  - path: protoc-gen-validate
  - path: health
YAML

(cd "$work" && buf build --exclude-source-info -o "$work/out.binpb" \
  --path envoy-api/envoy/service/auth/v3/external_auth.proto \
  --path health/grpc/health/v1/health.proto)

if [[ "${1:-}" == "--check" ]]; then
  cmp -s "$work/out.binpb" "$out" || { echo "proto/mcp-authz.binpb is stale: run npm run gen:proto" >&2; exit 1; }
else
  cp "$work/out.binpb" "$out"
  echo "wrote $out ($(wc -c < "$out") bytes)"
fi
