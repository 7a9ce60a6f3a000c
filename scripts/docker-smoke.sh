#!/usr/bin/env bash
# Build the image and check it the way a user would: start it, then grpcurl list and a Check (the MCP gateway
# demo's denied URL). Where no Docker engine runs (CI here has only the client), it says so and exits 0.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
if ! command -v docker >/dev/null 2>&1 || ! docker info >/dev/null 2>&1; then
  echo "docker engine not available, skipping the image smoke test"
  exit 0
fi
bash scripts/install-tools.sh
. scripts/env.sh
image="${IMAGE:-mcp-authz:smoke}"
docker build -t "$image" .
cid=$(docker run -d --read-only --tmpfs /tmp -p 127.0.0.1::9191 -p 127.0.0.1::8181 "$image")
trap 'docker rm -f "$cid" >/dev/null' EXIT
grpc_port=$(docker port "$cid" 9191/tcp | head -1 | cut -d: -f2)
http_port=$(docker port "$cid" 8181/tcp | head -1 | cut -d: -f2)
for _ in $(seq 1 50); do curl -fsS "http://127.0.0.1:$http_port/readyz" >/dev/null 2>&1 && break; sleep 0.2; done
grpcurl -plaintext "127.0.0.1:$grpc_port" list | grep -q envoy.service.auth.v3.Authorization
out=$(grpcurl -plaintext -d @ "127.0.0.1:$grpc_port" envoy.service.auth.v3.Authorization/Check <<'REQ'
{"attributes":{"request":{"http":{"method":"POST","path":"/mcp","headers":{"content-type":"application/json"},"body":"{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/call\",\"params\":{\"name\":\"fetch_url\",\"arguments\":{\"url\":\"https://malicious.com\"}}}"}}}}
REQ
)
echo "$out" | grep -q '"Forbidden"' || { echo "unexpected answer: $out" >&2; exit 1; }
echo "docker smoke test passed: image $image denies fetch_url(https://malicious.com)"
