#!/usr/bin/env bash
# Load benchmark with ghz, all scenarios in ONE run on the same machine, with the same ~2 KB tools/call
# CheckRequest (bench/request.json):
#   bare           a bare grpc-js Check server that always answers OK (the ceiling)
#   authz-nocache  mcp-authz, embedded default policy, decision cache off
#   authz-hit      mcp-authz, cache on, the same request every time (100% hits after the first)
#   authz-zipf     mcp-authz, cache on, 1,000 distinct calls drawn Zipf(1.1) (bench/make-zipf.mjs), round-robin
# mcp-authz runs with its defaults otherwise (decision log on, to a file).
#
#   npm run bench                      BENCH_N=40000 BENCH_C=32 npm run bench
#   BENCH_SCENARIOS="bare authz-hit" npm run bench
#
# Per scenario: a warm-up, an unthrottled run (max rps, p50, p99), then a run paced at 50% of that max
# (latency at half load). Results: bench/results/<timestamp>.json and a Markdown table on stdout.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
N="${BENCH_N:-20000}"
C="${BENCH_C:-32}"
WARM="${BENCH_WARMUP:-3000}"
SCENARIOS="${BENCH_SCENARIOS:-bare authz-nocache authz-hit authz-zipf}"

bash scripts/install-tools.sh --bench
. scripts/env.sh
[[ -f dist/main.js ]] || npm run build
node bench/make-request.mjs >/dev/null
node bench/make-zipf.mjs >/dev/null
mkdir -p bench/results
stamp="$(date -u +%Y%m%dT%H%M%SZ)"
out="bench/results/$stamp.json"

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

start() { # name, command... → sets $port and $pid
  local log="bench/results/$stamp-$1.log"; shift
  "$@" > "$log" 2>&1 &
  pid=$!
  pids+=("$pid")
  port=""
  for _ in $(seq 1 300); do
    port=$(grep -o '"grpc_port":[0-9]*' "$log" | head -1 | cut -d: -f2 || true)
    [[ -n "$port" ]] && return
    sleep 0.1
  done
  echo "failed to start: $(cat "$log")" >&2; exit 1
}

ghz_run() { # port, data file, n, rps(0 = unthrottled) → JSON summary (no per-request details)
  ghz --insecure --protoset proto/mcp-authz.binpb --call envoy.service.auth.v3.Authorization/Check \
    --data-file "$2" -n "$3" -c "$C" --rps "$4" --format json --skipFirst 0 "127.0.0.1:$1" |
    node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const r=JSON.parse(s);delete r.details;delete r.options.data;console.log(JSON.stringify(r))})'
}

AUTHZ=(node dist/main.js serve --grpc-addr 127.0.0.1:0 --http-addr 127.0.0.1:0 --admin-addr 127.0.0.1:0)

for s in $SCENARIOS; do
  case "$s" in
    bare) start "$s" node bench/bare-server.mjs 127.0.0.1:0; data=bench/request.json ;;
    authz-nocache) start "$s" "${AUTHZ[@]}" --config bench/config-nocache.yaml; data=bench/request.json ;;
    authz-hit) start "$s" "${AUTHZ[@]}"; data=bench/request.json ;;
    authz-zipf) start "$s" "${AUTHZ[@]}"; data=bench/request-zipf.json ;;
    *) echo "unknown scenario $s" >&2; exit 2 ;;
  esac
  ghz_run "$port" "$data" "$WARM" 0 > /dev/null
  ghz_run "$port" "$data" "$N" 0 > "bench/results/$stamp-$s-max.json"
  rps=$(node -e 'console.log(Math.floor(require(process.argv[1]).rps))' "$PWD/bench/results/$stamp-$s-max.json")
  ghz_run "$port" "$data" "$(( N / 2 ))" "$(( rps / 2 ))" > "bench/results/$stamp-$s-half.json"
  rss=$(ps -o rss= -p "$pid" | tr -d ' ')
  echo "{\"rss_kb\": $rss}" > "bench/results/$stamp-$s-rss.json"
  kill "$pid" 2>/dev/null || true
done

node - "$stamp" "$N" "$C" "$SCENARIOS" > "$out" <<'NODE'
const [stamp, n, c, scenarios] = process.argv.slice(2);
const load = (f) => require(`${process.cwd()}/bench/results/${stamp}-${f}.json`);
const pct = (r, p) => (r.latencyDistribution?.find((d) => d.percentage === p)?.latency ?? 0) / 1e6; // ns → ms
const result = { stamp, n: +n, concurrency: +c, scenarios: {} };
for (const s of scenarios.split(/\s+/).filter(Boolean)) {
  const max = load(`${s}-max`), half = load(`${s}-half`);
  const ok = max.statusCodeDistribution?.OK ?? 0;
  result.scenarios[s] = { rps: max.rps, p50_ms: pct(max, 50), p99_ms: pct(max, 99), errors: max.count - ok, half_load_rps: half.rps, half_load_p50_ms: pct(half, 50), half_load_p99_ms: pct(half, 99), rss_mb: load(`${s}-rss`).rss_kb / 1024 };
}
const bare = result.scenarios.bare?.rps;
if (bare) for (const s of Object.values(result.scenarios)) s.ratio_to_bare = s.rps / bare;
console.log(JSON.stringify(result, null, 2));
NODE

node -e '
const r = require(process.argv[1]);
const f = (x) => (x ?? 0).toFixed(3);
console.log(`\n| scenario | max rps | vs bare | p50 ms | p99 ms | p50 ms @50% | p99 ms @50% | RSS MB | errors |`);
console.log(`|---|---|---|---|---|---|---|---|---|`);
for (const [name, s] of Object.entries(r.scenarios))
  console.log(`| ${name} | ${Math.round(s.rps)} | ${s.ratio_to_bare ? (s.ratio_to_bare * 100).toFixed(1) + "%" : "-"} | ${f(s.p50_ms)} | ${f(s.p99_ms)} | ${f(s.half_load_p50_ms)} | ${f(s.half_load_p99_ms)} | ${s.rss_mb.toFixed(0)} | ${s.errors} |`);
console.log(`\n(n=${r.n}, c=${r.concurrency}, run ${r.stamp})`);
' "$PWD/$out"
