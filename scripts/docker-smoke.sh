#!/usr/bin/env bash
# Docker smoke test: build the image, check what the runtime stage left in it (no npm, yarn or corepack; mcp-authz
# on PATH; uid 65532 named nonroot; no build CA), run it the way the base Deployment runs it (read-only root
# filesystem, uid 65532, no capabilities, config and guardrails mounted from manifests/base), then check it as a user would:
# /readyz, grpcurl list, grpc.health.v1 Check, the MCP gateway demo's three Checks (malicious.com and the metadata
# endpoint denied, httpbin.org allowed), and exit code 0 after `docker stop` (SIGTERM, drain).
#
# Where no Docker engine runs it FAILS (exit 1) and says why: a smoke test that cannot run must not pass. The
# checks that need no engine run in test/deploy/image-build.test.ts, which replays the Dockerfile's stages.
#
# Where no registry is reachable, scripts/docker-base-standins.sh builds labelled stand-ins for the base images;
# the last line then says the image was built on them.
#
#   scripts/docker-smoke.sh                                       build mcp-authz:smoke and test it
#   IMAGE=ghcr.io/you/mcp-authz:0.1.0 SKIP_BUILD=1 scripts/docker-smoke.sh   test an image already built or pushed
#   NPM_CA_FILE=proxy-ca.pem scripts/docker-smoke.sh              behind a TLS-intercepting proxy: the build's npm ci
#                                                                 trusts these CAs only (--build-arg NPM_CONFIG_CA)
# Without NPM_CA_FILE, the CAs in $NODE_EXTRA_CA_CERTS that Node's own list lacks are passed, if there are any (on
# this project's machines: the sandbox's egress CA, which re-signs every TLS connection, npm's included).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

if ! command -v docker >/dev/null 2>&1; then
  echo "docker-smoke: FAILED: cannot run: no docker command (install a Docker engine, e.g. apt-get install docker.io)" >&2
  exit 1
fi
if ! docker info >/dev/null 2>&1; then
  echo "docker-smoke: FAILED: cannot run: $(docker --version 2>/dev/null || echo docker): no daemon answers (start dockerd)" >&2
  exit 1
fi

bash scripts/install-tools.sh >/dev/null   # grpcurl
. scripts/env.sh
image="${IMAGE:-mcp-authz:smoke}"
if [[ "${SKIP_BUILD:-0}" != 1 ]]; then
  for base in $(awk 'toupper($1) == "FROM" { print $2 }' Dockerfile | sort -u); do
    if ! docker image inspect "$base" >/dev/null 2>&1 && ! err=$(docker pull -q "$base" 2>&1); then
      echo "docker-smoke: FAILED: cannot run: base image $base is not here and cannot be pulled ($(tail -n 1 <<<"$err")); where no registry is reachable, build stand-ins with scripts/docker-base-standins.sh" >&2
      exit 1
    fi
  done
  if [[ -n "${NPM_CA_FILE:-}" ]]; then
    ca=$(cat "$NPM_CA_FILE")
  elif [[ -n "${NODE_EXTRA_CA_CERTS:-}" && -r "$NODE_EXTRA_CA_CERTS" ]]; then
    ca=$(node -e '
      const pem = /-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g;
      const fp = (c) => new (require("node:crypto").X509Certificate)(c).fingerprint256;
      const known = new Set(require("node:tls").rootCertificates.map(fp));
      const extra = (require("node:fs").readFileSync(process.argv[1], "utf8").match(pem) ?? []).filter((c) => !known.has(fp(c)));
      process.stdout.write(extra.join("\n"));' "$NODE_EXTRA_CA_CERTS")
  fi
  build_args=()
  [[ -n "${ca:-}" ]] && build_args=(--build-arg "NPM_CONFIG_CA=$ca")
  docker build "${build_args[@]}" -t "$image" .
fi

fail() {
  echo "docker-smoke: FAILED: $*" >&2
  [[ -n "${cid:-}" ]] && docker logs "$cid" 2>&1 | tail -n 30 >&2
  exit 1
}

user=$(docker image inspect --format '{{.Config.User}}' "$image")
[[ "$user" == 65532:65532 ]] || fail "image user is '$user', expected 65532:65532"
# The runtime stage's clean-up, link and user, seen from inside the image (its shell, not its entrypoint).
inside=$(docker run --rm --read-only --entrypoint sh "$image" -c '
  for t in npm npx corepack yarn yarnpkg; do command -v "$t" >/dev/null && echo "found $t"; done
  [ -e /usr/local/lib/node_modules ] && echo "found /usr/local/lib/node_modules"
  echo "bin $(command -v mcp-authz)"; echo "user $(id -un) $(id -u):$(id -g)"; true') || fail "cannot run sh in the image"
if grep -q '^found ' <<<"$inside"; then fail "the runtime stage left: $(grep '^found ' <<<"$inside" | cut -d' ' -f2- | tr '\n' ' ')"; fi
grep -qx 'bin /usr/local/bin/mcp-authz' <<<"$inside" || fail "mcp-authz is not on PATH at /usr/local/bin: $inside"
grep -qx 'user nonroot 65532:65532' <<<"$inside" || fail "uid 65532 is not the passwd entry nonroot: $inside"
# A CA given to the build stage (NPM_CONFIG_CA) stays there: not in the image's environment or history.
history=$(docker history --no-trunc --format '{{.CreatedBy}}' "$image")$(docker image inspect --format '{{json .Config.Env}}' "$image")
if grep -q -e 'NPM_CONFIG_CA' -e 'BEGIN CERTIFICATE' <<<"$history"; then fail "the image keeps the build's NPM_CONFIG_CA"; fi

cid=$(docker run -d --read-only --tmpfs /tmp --cap-drop ALL --security-opt no-new-privileges \
  -v "$root/manifests/base/config.yaml:/etc/mcp-authz/config/config.yaml:ro" \
  -v "$root/manifests/base/guardrails.yaml:/etc/mcp-authz/guardrails/guardrails.yaml:ro" \
  -p 127.0.0.1::9191 -p 127.0.0.1::8181 \
  "$image" --config /etc/mcp-authz/config/config.yaml)
trap 'docker rm -f "$cid" >/dev/null 2>&1 || true' EXIT
grpc="127.0.0.1:$(docker port "$cid" 9191/tcp | head -n 1 | cut -d: -f2)"
http="http://127.0.0.1:$(docker port "$cid" 8181/tcp | head -n 1 | cut -d: -f2)"

ready=0
for _ in $(seq 1 100); do
  if curl -fsS "$http/readyz" >/dev/null 2>&1; then ready=1; break; fi
  sleep 0.2
done
[[ $ready == 1 ]] || fail "/readyz never answered 200"
curl -fsS "$http/healthz" >/dev/null || fail "/healthz"
# Read whole bodies before grep -q: with pipefail, a grep that stops early fails the writer with SIGPIPE.
metrics=$(curl -fsS "$http/metrics") || fail "/metrics"
grep -q '^# TYPE mcp_authz_' <<<"$metrics" || fail "/metrics has no mcp_authz_ metric"

services=$(grpcurl -plaintext "$grpc" list)
for s in envoy.service.auth.v3.Authorization grpc.health.v1.Health; do
  grep -qx "$s" <<<"$services" || fail "grpcurl list does not show $s"
done
health=$(grpcurl -plaintext -d '{"service":"envoy.service.auth.v3.Authorization"}' "$grpc" grpc.health.v1.Health/Check) \
  || fail "grpc.health.v1.Health/Check"
grep -q '"SERVING"' <<<"$health" || fail "health is not SERVING: $health"

# A Check as the gateway sends it with the shipped extension provider (packAsBytes: the body as raw bytes).
check() {
  local body raw
  body=$(printf '{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"fetch_url","arguments":{"url":"%s"}}}' "$1")
  raw=$(printf '%s' "$body" | base64 | tr -d '\n')
  grpcurl -plaintext -d @ "$grpc" envoy.service.auth.v3.Authorization/Check <<REQ
{"attributes":{"source":{"principal":"spiffe://cluster.local/ns/agent-sandbox/sa/support-agent"},
 "request":{"http":{"method":"POST","path":"/mcp","host":"mcp.127-0-0-1.sslip.io",
 "headers":{"content-type":"application/json","x-envoy-auth-partial-body":"false"},"rawBody":"$raw"}}}}
REQ
}
out=$(check https://malicious.com)
grep -q '"Forbidden"' <<<"$out" && grep -q 'url_not_allowed' <<<"$out" || fail "fetch_url(https://malicious.com) was not denied: $out"
out=$(check https://httpbin.org/get)
grep -q '"okResponse"' <<<"$out" || fail "fetch_url(https://httpbin.org/get) was not allowed: $out"
out=$(check http://169.254.169.254/latest/meta-data)
grep -q '"Forbidden"' <<<"$out" && grep -q 'metadata_endpoint' <<<"$out" || fail "fetch_url(169.254.169.254) was not denied: $out"

docker stop --time 30 "$cid" >/dev/null
code=$(docker inspect --format '{{.State.ExitCode}}' "$cid")
[[ "$code" == 0 ]] || fail "exit code $code after SIGTERM, expected 0"

standin=$(docker image inspect --format '{{index .Config.Labels "mcp-authz.stand-in"}}' "$image")
echo "docker smoke test passed: $image (uid 65532, read-only root, no npm/yarn/corepack): malicious.com 403, httpbin.org allowed, 169.254.169.254 403, clean SIGTERM exit${standin:+ — built on a STAND-IN base image: $standin}"
