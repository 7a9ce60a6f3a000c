#!/usr/bin/env bash
# Load benchmark with ghz: mcp-authz (embedded default policy) against a bare grpc-js always-OK Check server,
# in the same run, with the same ~2 KB tools/call CheckRequest (bench/request.json).
#
#   npm run bench                      # defaults below
#   BENCH_N=40000 BENCH_C=32 npm run bench
#
# Each target gets a warm-up, then an unthrottled run (max rps, p50, p99), then a run paced at 50% of that
# max (p99 at half load). Results: bench/results/<timestamp>.json and a Markdown table on stdout.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
N="${BENCH_N:-20000}"
C="${BENCH_C:-32}"
WARM="${BENCH_WARMUP:-3000}"

bash scripts/install-tools.sh --bench
. scripts/env.sh
[[ -f dist/main.js ]] || npm run build
node bench/make-request.mjs >/dev/null
mkdir -p bench/results
stamp="$(date -u +%Y%m%dT%H%M%SZ)"
out="bench/results/$stamp.json"

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

start() { # name, command... → prints port
  local log="bench/results/$stamp-$1.log"; shift
  "$@" > "$log" 2>&1 &
  pids+=($!)
  for _ in $(seq 1 200); do
    port=$(grep -o '"grpc_port":[0-9]*' "$log" | head -1 | cut -d: -f2 || true)
    [[ -n "${port:-}" ]] && { echo "$port"; return; }
    sleep 0.1
  done
  echo "failed to start $1: $(cat "$log")" >&2; exit 1
}

ghz_run() { # port, n, rps(0=unthrottled) → JSON
  ghz --insecure --protoset proto/mcp-authz.binpb --call envoy.service.auth.v3.Authorization/Check \
    --data-file bench/request.json -n "$2" -c "$C" --rps "$3" --format json "127.0.0.1:$1"
}

bare_port=$(start bare node bench/bare-server.mjs 127.0.0.1:0)
authz_port=$(start authz node dist/main.js serve --grpc-addr 127.0.0.1:0 --http-addr 127.0.0.1:0 --admin-addr 127.0.0.1:0)

declare -A result
for target in bare authz; do
  port_var="${target}_port"; port="${!port_var}"
  ghz_run "$port" "$WARM" 0 > /dev/null
  ghz_run "$port" "$N" 0 > "bench/results/$stamp-$target-max.json"
  rps=$(node -e 'const r=require(process.argv[1]);console.log(Math.floor(r.rps))' "$PWD/bench/results/$stamp-$target-max.json")
  half=$(( rps / 2 ))
  ghz_run "$port" "$(( N / 2 ))" "$half" > "bench/results/$stamp-$target-half.json"
done

node - "$stamp" "$N" "$C" > "$out" <<'NODE'
const [stamp, n, c] = process.argv.slice(2);
const load = (f) => require(`${process.cwd()}/bench/results/${stamp}-${f}.json`);
const pct = (r, p) => (r.latencyDistribution.find((d) => d.percentage === p)?.latency ?? 0) / 1e6; // ns → ms
const summary = (t) => {
  const max = load(`${t}-max`), half = load(`${t}-half`);
  const errors = Object.values(max.statusCodeDistribution ?? {}).reduce((a, b) => a + b, 0) - (max.statusCodeDistribution?.OK ?? 0);
  return { rps: max.rps, p50_ms: pct(max, 50), p99_ms: pct(max, 99), errors, half_load_rps: half.rps, half_load_p50_ms: pct(half, 50), half_load_p99_ms: pct(half, 99) };
};
const bare = summary('bare'), authz = summary('authz');
console.log(JSON.stringify({ stamp, n: +n, concurrency: +c, bare, authz, ratio_rps: authz.rps / bare.rps }, null, 2));
NODE

node -e '
const r = require(process.argv[1]);
const f = (x) => x.toFixed(3);
console.log(`\n| target | max rps | p50 ms | p99 ms | p50 ms @50% | p99 ms @50% | errors |`);
console.log(`|---|---|---|---|---|---|---|`);
for (const [name, s] of [["bare grpc-js (ceiling)", r.bare], ["mcp-authz default policy", r.authz]])
  console.log(`| ${name} | ${Math.round(s.rps)} | ${f(s.p50_ms)} | ${f(s.p99_ms)} | ${f(s.half_load_p50_ms)} | ${f(s.half_load_p99_ms)} | ${s.errors} |`);
console.log(`\nratio mcp-authz / bare: ${(r.ratio_rps * 100).toFixed(1)}% of max rps (n=${r.n}, c=${r.concurrency}, ${r.stamp})`);
' "$PWD/$out"
