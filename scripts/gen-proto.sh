#!/usr/bin/env bash
# Regenerate proto/mcp-authz.binpb: a FileDescriptorSet (with all imports) for the services mcp-authz serves,
# and src/generated/proto/: the TypeScript types of the ext_authz messages (proto-loader-gen-types, which ships with
# @grpc/proto-loader), generated with the same options the server loads the protos with (envoy/descriptors.ts).
# Sources come from registry packages, never from copies in this repo:
#   - Envoy, xDS, googleapis and protoc-gen-validate trees: @grpc/grpc-js-xds (deps/)
#   - grpc.health.v1: grpc-health-check (proto/health/v1/health.proto)
#   - google/protobuf well-known types: built into buf
# The compiler is buf (github.com/bufbuild/buf, pinned in scripts/tool-versions.sh, installed by install-tools.sh).
#   scripts/gen-proto.sh          regenerate
#   scripts/gen-proto.sh --check  fail if a committed file is stale
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

# Types: keepCase, longs and enums as strings, bytes as Buffer, no defaults (LOADER_OPTIONS). Relative include paths
# keep the generated "Original file" comments the same on every machine.
types="$root/src/generated/proto"
(cd "$root" && node_modules/.bin/proto-loader-gen-types --keepCase --longs=String --enums=String --bytes=Buffer \
  --grpcLib=@grpc/grpc-js --importFileExtension=.js --outDir="$work/types" \
  --includeDirs node_modules/@grpc/grpc-js-xds/deps/envoy-api node_modules/@grpc/grpc-js-xds/deps/googleapis \
    node_modules/@grpc/grpc-js-xds/deps/xds node_modules/@grpc/grpc-js-xds/deps/protoc-gen-validate \
  -- envoy/service/auth/v3/external_auth.proto >/dev/null)

if [[ "${1:-}" == "--check" ]]; then
  cmp -s "$work/out.binpb" "$out" || { echo "proto/mcp-authz.binpb is stale: run npm run gen:proto" >&2; exit 1; }
  diff -r -q "$work/types" "$types" >/dev/null || { echo "src/generated/proto is stale: run npm run gen:proto" >&2; exit 1; }
else
  cp "$work/out.binpb" "$out"
  echo "wrote $out ($(wc -c < "$out") bytes)"
  rm -rf "$types"
  mkdir -p "$(dirname "$types")"
  cp -R "$work/types" "$types"
  echo "wrote $types ($(find "$types" -name '*.ts' | wc -l) files)"
fi
