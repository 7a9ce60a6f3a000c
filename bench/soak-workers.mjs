// Memory soak of the real server with workers: `mcp-authz serve --workers N` (default policy, cache and decision
// logs on, decision logs to /dev/null), driven over gRPC by ghz with the Zipf mix (bench/request-zipf.json) in
// chunks of 100,000 checks over several connections; after each chunk the RSS of every worker and of the primary is
// read from /proc, and the decision cache's size and the V8 heaps from /metrics. Reports each worker's RSS after
// 1,000,000 checks and its least-squares slope over the second half (MB per 100k checks): no growth trend means a
// slope near 0.
//
//   node bench/soak-workers.mjs [checks=1000000] [workers=2]      (npm run build and scripts/install-tools.sh --bench first)
//   SOAK_CHUNK=100000 SOAK_CONNECTIONS=4 SOAK_C=32   SOAK_NODE_OPTIONS='--max-semi-space-size=8'  (V8 flags for the server and its
//   workers; default --max-semi-space-size=4, as bin/mcp-authz and the image start the primary; SOAK_NODE_OPTIONS= for node's defaults)
//   SOAK_IDLE_MS=3000: after each chunk, RSS is read again after this long without load (V8 shrinks its heap when idle)
// Output: JSON on stdout, saved as bench/results/soak-workers-<stamp>.json.
import { spawn } from 'node:child_process';
import { mkdirSync, openSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ghzReport } from './ghz.mjs';
import { childPids, rssMb } from './proc.mjs';

const root = new URL('..', import.meta.url).pathname.replace(/\/$/, '');
process.chdir(root);
process.env.PATH = `${join(root, '.tools/bin')}${delimiter}${process.env.PATH}`;
const total = Number(process.argv[2] ?? 1_000_000);
const workers = Number(process.argv[3] ?? 2);
const chunk = Math.min(Number(process.env.SOAK_CHUNK ?? 100_000), total);
const C = Number(process.env.SOAK_C ?? 32);
const CONNECTIONS = Number(process.env.SOAK_CONNECTIONS ?? 4);
const IDLE_MS = Number(process.env.SOAK_IDLE_MS ?? 3000);
const NODE_OPTIONS = process.env.SOAK_NODE_OPTIONS ?? '--max-semi-space-size=4';

await new Promise((resolve, reject) =>
  spawn('node', ['bench/make-zipf.mjs'], { stdio: 'inherit' }).once('exit', (c) => (c === 0 ? resolve() : reject(new Error('make-zipf failed')))),
);

mkdirSync(join(root, 'bench/results'), { recursive: true });
const stamp = new Date()
  .toISOString()
  .replace(/[-:]/g, '')
  .replace(/\.\d+Z$/, 'Z');
const log = join(root, 'bench/results', `soak-workers-${stamp}.log`);
const server = spawn(
  'node',
  ['dist/main.js', 'serve', '--workers', String(workers), '--grpc-addr', '127.0.0.1:0', '--http-addr', '127.0.0.1:0', '--admin-addr', '127.0.0.1:0'],
  {
    // stdout and stderr to a file opened for appending (a pipe the driver reads could push back on the server's
    // decision log under load); the file is truncated after every chunk, so it stays small.
    stdio: ['ignore', openSync(log, 'a'), openSync(log, 'a')],
    env: { ...process.env, ...(NODE_OPTIONS ? { NODE_OPTIONS } : {}) },
  },
);
// The startup line gives the port.
const [port, httpPort] = await (async () => {
  for (let i = 0; i < 600; i++) {
    const text = readFileSync(log, 'utf8');
    const m = text.match(/"grpc_port":(\d+)/);
    const h = text.match(/"http_port":(\d+)/);
    if (m && h) return [Number(m[1]), Number(h[1])];
    if (server.exitCode !== null) throw new Error(`server exited ${server.exitCode}; see ${log}`);
    await sleep(100);
  }
  throw new Error(`server did not start; see ${log}`);
})();

const ghz = async (n) => {
  const r = await ghzReport({ port, data: 'bench/request-zipf.json', n, c: C, connections: CONNECTIONS });
  return { rps: r.rps, ok: r.statusCodeDistribution?.OK ?? 0, count: r.count };
};

// The decision cache and the V8 heaps, summed over the server's processes (the primary aggregates /metrics).
const metric = (text, name) => Number(text.match(new RegExp(`^${name} (\\S+)$`, 'm'))?.[1] ?? Number.NaN);
const serverFigures = async () => {
  try {
    const text = await (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text();
    const mb = (n) => +(metric(text, n) / 1048576).toFixed(1);
    return {
      cache_entries: metric(text, 'mcp_authz_decision_cache_size'),
      cache_estimated_mb: mb('mcp_authz_decision_cache_bytes'),
      cache_hits: metric(text, 'mcp_authz_decision_cache_hits_total'),
      cache_misses: metric(text, 'mcp_authz_decision_cache_misses_total'),
      heap_used_mb_all: mb('nodejs_heap_size_used_bytes'),
      heap_total_mb_all: mb('nodejs_heap_size_total_bytes'),
    };
  } catch (err) {
    return { metrics_error: err.message };
  }
};

const samples = [];
const partial = join(root, 'bench/results', `soak-workers-${stamp}.partial.json`);
const t0 = Date.now();
let done = 0;
let errors = 0;
while (done < total) {
  const n = Math.min(chunk, total - done);
  const r = await ghz(n);
  done += n;
  errors += r.count - r.ok;
  const pids = childPids(server.pid);
  const loaded = Object.fromEntries(pids.map((p) => [p, +rssMb(p).toFixed(1)]));
  await sleep(IDLE_MS);
  const sample = {
    checks: done,
    rps: Math.round(r.rps),
    primary_rss_mb: +rssMb(server.pid).toFixed(1),
    workers_rss_mb_at_load_end: loaded,
    workers_rss_mb: Object.fromEntries(childPids(server.pid).map((p) => [p, +rssMb(p).toFixed(1)])),
    ...(await serverFigures()),
  };
  samples.push(sample);
  process.stderr.write(`${JSON.stringify(sample)}\n`);
  truncateSync(log, 0);
  writeFileSync(partial, `${JSON.stringify({ partial: true, workers, node_options: NODE_OPTIONS, samples }, null, 2)}\n`);
}
const seconds = (Date.now() - t0) / 1000;

const slope = (points) => {
  const mx = points.reduce((a, p) => a + p[0], 0) / points.length;
  const my = points.reduce((a, p) => a + p[1], 0) / points.length;
  const den = points.reduce((a, p) => a + (p[0] - mx) ** 2, 0);
  return den ? points.reduce((a, p) => a + (p[0] - mx) * (p[1] - my), 0) / den : 0;
};
const tail = samples.slice(Math.floor(samples.length / 2));
const workerPids = Object.keys(samples.at(-1).workers_rss_mb);
const perWorker = Object.fromEntries(
  workerPids.map((pid) => [
    pid,
    {
      final_rss_mb: samples.at(-1).workers_rss_mb[pid],
      final_rss_mb_at_load_end: samples.at(-1).workers_rss_mb_at_load_end[pid],
      max_rss_mb_at_load_end: Math.max(...samples.map((s) => s.workers_rss_mb_at_load_end[pid] ?? 0)),
      slope_mb_per_100k: +(
        slope(tail.filter((s) => s.workers_rss_mb[pid] !== undefined).map((s) => [s.checks, s.workers_rss_mb[pid]])) * 100_000
      ).toFixed(2),
    },
  ]),
);
const result = {
  checks: total,
  workers,
  node_options: NODE_OPTIONS,
  idle_ms: IDLE_MS,
  connections: CONNECTIONS,
  concurrency: C,
  seconds,
  checks_per_second: Math.round(total / seconds),
  errors,
  per_worker: perWorker,
  primary_final_rss_mb: samples.at(-1).primary_rss_mb,
  samples,
};
const file = join(root, 'bench/results', `soak-workers-${stamp}.json`);
writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
console.log(JSON.stringify(result, null, 2));
server.kill('SIGTERM');
await new Promise((r) => server.once('exit', r));
