// RSS and CPU per check of one server, robust to a noisy shared machine: idle RSS of every process of the server
// (a cluster primary and its workers), then ghz load (warm-up, then N checks), with the server's own CPU time
// (utime + stime of each process, all its threads, from /proc/<pid>/stat) over the N checks divided by N, the peak
// RSS sampled every 100 ms during the load, and the RSS after it. CPU per check, unlike rps, does not depend on how
// much of the machine the other tenants take.
//
//   node bench/soak-rss.mjs [authz|bare] [n=20000] [-- extra serve flags]      (npm run build first)
//   RSS_NODE_OPTIONS='--max-semi-space-size=2'   V8 flags for the server (and, through NODE_OPTIONS, its workers)
//   RSS_DATA=bench/request.json (one request: cache hits) or bench/request-zipf.json (node bench/make-zipf.mjs)
//   RSS_C=32 RSS_CONNECTIONS=4 RSS_WARMUP=3000 RSS_IDLE_MS=3000
// Output: one JSON line on stdout.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ghzReport } from './ghz.mjs';
import { cpuMs, processTree, rssMb } from './proc.mjs';

const root = new URL('..', import.meta.url).pathname.replace(/\/$/, '');
process.chdir(root);
process.env.PATH = `${join(root, '.tools/bin')}${delimiter}${process.env.PATH}`;
const sep = process.argv.indexOf('--');
const [kind = 'authz', nArg = '20000'] = process.argv.slice(2, sep < 0 ? undefined : sep);
const extra = sep < 0 ? [] : process.argv.slice(sep + 1);
const N = Number(nArg);
const C = Number(process.env.RSS_C ?? 32);
const CONNECTIONS = Number(process.env.RSS_CONNECTIONS ?? 4);
const WARMUP = Number(process.env.RSS_WARMUP ?? 3000);
const IDLE_MS = Number(process.env.RSS_IDLE_MS ?? 3000);
const DATA = process.env.RSS_DATA ?? 'bench/request.json';
const NODE_OPTIONS = process.env.RSS_NODE_OPTIONS ?? '';

const args =
  kind === 'bare'
    ? ['bench/bare-server.mjs', '127.0.0.1:0']
    : ['dist/main.js', 'serve', '--grpc-addr', '127.0.0.1:0', '--http-addr', '127.0.0.1:0', '--admin-addr', '127.0.0.1:0', ...extra];
const server = spawn('node', args, { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, NODE_OPTIONS } });
let out = '';
const port = await new Promise((resolve, reject) => {
  const onData = (d) => {
    out += d;
    const m = out.match(/"grpc_port":(\d+)/);
    if (m) {
      // Keep draining the server's stdout (decision logs) so it never pushes back.
      server.stdout.off('data', onData).on('data', () => {});
      resolve(Number(m[1]));
    } else if (out.length > 1e6) out = out.slice(-1000);
  };
  server.stdout.on('data', onData);
  server.once('exit', (code) => reject(new Error(`server exited ${code}`)));
});

const round = (x) => Math.round(x * 10) / 10;
const each = (fn) => Object.fromEntries(processTree(server.pid).map((p) => [p, round(fn(p))]));

const ghz = async (n) => {
  const r = await ghzReport({ port, data: DATA, n, c: C, connections: CONNECTIONS });
  return { rps: Math.round(r.rps), ok: r.statusCodeDistribution?.OK ?? 0, denied: r.statusCodeDistribution?.PermissionDenied ?? 0, count: r.count };
};

await sleep(IDLE_MS);
const idle = each(rssMb);
await ghz(WARMUP);
const cpu0 = each(cpuMs);
const peak = {};
const sampler = setInterval(() => {
  for (const [p, v] of Object.entries(each(rssMb))) peak[p] = Math.max(peak[p] ?? 0, v);
}, 100);
const r = await ghz(N);
clearInterval(sampler);
const cpu1 = each(cpuMs);
const loaded = each(rssMb);
const cpuPerCheckUs = Object.fromEntries(Object.keys(cpu1).map((p) => [p, Math.round(((cpu1[p] - (cpu0[p] ?? 0)) * 1000) / N)]));
const total = Object.values(cpuPerCheckUs).reduce((a, b) => a + b, 0);
console.log(
  JSON.stringify({
    kind,
    extra,
    node_options: NODE_OPTIONS,
    data: DATA,
    n: N,
    rps: r.rps,
    ok: r.ok,
    denied: r.denied,
    errors: r.count - r.ok - r.denied,
    idle_rss_mb: idle,
    peak_rss_mb: peak,
    rss_mb_at_load_end: loaded,
    cpu_us_per_check: cpuPerCheckUs,
    cpu_us_per_check_total: total,
    loadavg: readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' '),
  }),
);
server.kill('SIGTERM');
await new Promise((res) => server.once('exit', res));
