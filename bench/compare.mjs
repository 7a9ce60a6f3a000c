// Side-by-side load benchmark, all in ONE run on the same machine, with ghz:
//   bare   a bare grpc-js Check server that always answers OK (bench/bare-server.mjs): the ceiling
//   peer   opa-envoy-plugin (OPA's Envoy plugin), used when it is on PATH (or OPA_ENVOY_PLUGIN=/path/to/binary)
//   authz  mcp-authz (dist/main.js serve), with its default worker count unless BENCH_WORKERS is set, and node's
//          flags as bin/mcp-authz and the image give them (--max-semi-space-size=4; BENCH_AUTHZ_NODE_FLAGS replaces them)
// Same ~2 KB tools/call CheckRequest (bench/request.json) and the same opa-envoy-compatible Rego
// (bench/compare/envoy_authz.rego, entrypoint envoy/authz/allow) for both policy servers. Everything binds to
// 127.0.0.1. Decision logs go to a file for both servers (peer: decision_logs.console=true).
//
//   npm run bench:compare                       (installs ghz/opa if missing, builds, runs everything)
//   BENCH_SCENARIOS="peer authz-nocache" BENCH_N=40000 npm run bench:compare
//   BENCH_ROUNDS=3 npm run bench:compare        (every figure is the median of 3 rounds)
//
// Per scenario: start the server, check it allows bench/request.json and denies a bad URL, warm up, one
// unthrottled run (max rps, p50, p99), one run paced at 50% of that max (p99 at half load), peak RSS of the
// server's whole process tree (primary + workers) sampled during both runs, then stop it.
// Output: a results table and the ratios on stdout, saved as bench/results/compare-<stamp>.{md,json}.
import { spawn, spawnSync } from 'node:child_process';
import { createWriteStream, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ghzReport } from './ghz.mjs';
import { treeCpuMs, treeRssMb } from './proc.mjs';

const root = new URL('..', import.meta.url).pathname.replace(/\/$/, '');
process.chdir(root);
process.env.PATH = `${join(root, '.tools/bin')}${delimiter}${process.env.PATH}`;

const N = Number(process.env.BENCH_N ?? 20000);
const C = Number(process.env.BENCH_C ?? 32);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 4);
const WARM = Number(process.env.BENCH_WARMUP ?? 3000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 1);
const WORKERS = process.env.BENCH_WORKERS;
const AUTHZ_NODE_FLAGS = (process.env.BENCH_AUTHZ_NODE_FLAGS ?? '--max-semi-space-size=4').split(/\s+/).filter(Boolean);
const POLICY = 'bench/compare/envoy_authz.rego';
/** The shadow candidate of `authz-nocache-shadow`: the same policy with one approved host fewer (the request still allowed). */
const CANDIDATE = 'bench/compare/candidate/envoy_authz.rego';
const ENTRYPOINT = 'envoy/authz/allow';

/** Every scenario: which server, with what. `data` is the ghz data file. */
const ALL = {
  bare: { server: 'bare', data: 'bench/request.json', what: 'bare grpc-js, always OK' },
  peer: { server: 'peer', log: false, data: 'bench/request.json', what: 'opa-envoy-plugin, decision logs off' },
  'peer-log': { server: 'peer', log: true, data: 'bench/request.json', what: 'opa-envoy-plugin, console decision logs' },
  'peer-zipf': { server: 'peer', log: false, data: 'bench/request-zipf.json', what: 'opa-envoy-plugin, Zipf mix, logs off' },
  'authz-nocache': { server: 'authz', cache: false, log: false, data: 'bench/request.json', what: 'mcp-authz, cache off, logs off' },
  'authz-nocache-log': { server: 'authz', cache: false, log: true, data: 'bench/request.json', what: 'mcp-authz, cache off, decision logs on' },
  'authz-nocache-shadow': {
    server: 'authz',
    cache: false,
    log: false,
    shadow: true,
    data: 'bench/request.json',
    what: 'mcp-authz, cache off, logs off, a shadow candidate on every check (sample 100%)',
  },
  'authz-hit': { server: 'authz', cache: true, log: false, data: 'bench/request.json', what: 'mcp-authz, 100% cache hits, logs off' },
  'authz-hit-log': {
    server: 'authz',
    cache: true,
    log: true,
    data: 'bench/request.json',
    what: 'mcp-authz, 100% cache hits, decision logs on (defaults)',
  },
  'authz-defaults': {
    server: 'authz',
    defaults: true,
    data: 'bench/request.json',
    what: 'mcp-authz `serve` defaults: workers, cache (100% hits), decision logs',
  },
  'authz-zipf': { server: 'authz', cache: true, log: false, data: 'bench/request-zipf.json', what: 'mcp-authz, Zipf mix, cache on, logs off' },
  'authz-zipf-log': { server: 'authz', cache: true, log: true, data: 'bench/request-zipf.json', what: 'mcp-authz, Zipf mix, cache on, logs on' },
};

/**
 * The ratios the targets are stated in (issue 20): [label, numerator scenario, denominator scenario, target].
 * "CPU efficiency" is the denominator's server CPU per check divided by the numerator's: above 1, mcp-authz spends less.
 */
const RATIOS = [
  ['uncached, both without decision logs: mcp-authz / peer', 'authz-nocache', 'peer', 'CPU efficiency ≥ 2.0, p99 @50% ≤ 1'],
  ['uncached, both writing decision logs: mcp-authz / peer', 'authz-nocache-log', 'peer-log', 'CPU efficiency ≥ 3.0'],
  ['cache hits, logs off: mcp-authz / peer', 'authz-hit', 'peer', 'CPU efficiency ≥ 3.0'],
  ['cache hits, logs off: mcp-authz / bare grpc-js', 'authz-hit', 'bare', 'CPU efficiency ≥ 1.5'],
  ['defaults (serve, no flags) / peer without logs', 'authz-defaults', 'peer', 'CPU efficiency ≥ 2.0'],
  ['defaults (serve, no flags) / peer with console logs', 'authz-defaults', 'peer-log', ''],
  ['uncached / bare grpc-js', 'authz-nocache', 'bare', ''],
  ['Zipf mix, logs off: mcp-authz (cache on) / peer', 'authz-zipf', 'peer-zipf', ''],
  [
    'shadow cost, uncached: a candidate on every check / none',
    'authz-nocache-shadow',
    'authz-nocache',
    'CPU ≤ 1.1 × (none + the candidate evaluation)',
  ],
  ['decision-log cost, uncached: mcp-authz logs on / off', 'authz-nocache-log', 'authz-nocache', ''],
  ['decision-log cost, cache hits: mcp-authz logs on / off', 'authz-hit-log', 'authz-hit', ''],
];

const say = (s) => process.stderr.write(`${s}\n`);
const onPath = (cmd) => spawnSync('sh', ['-c', `command -v "${cmd}"`], { encoding: 'utf8' }).stdout.trim();
const run = (cmd, args) => {
  const r = spawnSync(cmd, args, { stdio: ['ignore', 'inherit', 'inherit'] });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (exit ${r.status})`);
};

// ---- preparation -------------------------------------------------------------------------------------------
for (const tool of ['ghz', 'opa']) {
  if (!onPath(tool)) {
    say(`bench:compare: '${tool}' is not on PATH or in .tools/bin. Run: bash scripts/install-tools.sh --bench`);
    process.exit(1);
  }
}
const peerBin = process.env.OPA_ENVOY_PLUGIN || onPath('opa-envoy-plugin');
const wanted = (process.env.BENCH_SCENARIOS ?? Object.keys(ALL).join(' ')).split(/[\s,]+/).filter(Boolean);
for (const s of wanted) {
  if (!ALL[s]) {
    say(`unknown scenario "${s}"; known: ${Object.keys(ALL).join(' ')}`);
    process.exit(2);
  }
}
let scenarios = wanted;
if (!peerBin) {
  say('bench:compare: opa-envoy-plugin is NOT on PATH (nor OPA_ENVOY_PLUGIN set): the peer scenarios are skipped and');
  say('  the peer ratios are shown as "n/a". Build it from the source of open-policy-agent/opa-envoy-plugin');
  say('  (go build ./cmd/opa-envoy-plugin) and put it on PATH to compare against it.');
  scenarios = wanted.filter((s) => ALL[s].server !== 'peer');
} else {
  say(`bench:compare: peer: ${peerBin} (${spawnSync(peerBin, ['version'], { encoding: 'utf8' }).stdout.split('\n')[0]})`);
}
if (process.env.BENCH_NO_BUILD !== '1') run('npm', ['run', '--silent', 'build']);
run('node', ['bench/make-request.mjs']);
run('node', ['bench/make-zipf.mjs']);

const work = mkdtempSync(join(tmpdir(), 'mcp-authz-compare-'));
const bundle = join(work, 'bundle.tar.gz');
run('opa', ['build', '-t', 'wasm', '-e', ENTRYPOINT, '-o', bundle, POLICY]);
const candidateBundle = join(work, 'candidate.tar.gz');
run('opa', ['build', '-t', 'wasm', '-e', ENTRYPOINT, '-o', candidateBundle, CANDIDATE]);

const stamp = new Date()
  .toISOString()
  .replace(/[-:]/g, '')
  .replace(/\.\d+Z$/, 'Z');
const resultsDir = join(root, 'bench/results');
spawnSync('mkdir', ['-p', resultsDir]);

// ---- servers -----------------------------------------------------------------------------------------------
const freePort = () =>
  new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });

/** Start a server with stdout+stderr to a log file; resolves { child, port, log, info } once it serves. */
async function startServer(name, spec) {
  const log = join(work, `${name}.log`);
  const out = createWriteStream(log);
  await new Promise((r) => out.once('open', r));
  let cmd;
  let args;
  let port;
  if (spec.server === 'bare') {
    cmd = 'node';
    args = ['bench/bare-server.mjs', '127.0.0.1:0'];
  } else if (spec.server === 'peer') {
    port = await freePort();
    const rest = await freePort();
    const cfg = join(work, `${name}.yaml`);
    writeFileSync(
      cfg,
      [
        'plugins:',
        '  envoy_ext_authz_grpc:',
        `    addr: 127.0.0.1:${port}`,
        `    path: ${ENTRYPOINT}`,
        `decision_logs:`,
        `  console: ${spec.log ? 'true' : 'false'}`,
        '',
      ].join('\n'),
    );
    cmd = peerBin;
    args = ['run', '--server', '--skip-version-check', '--addr', `127.0.0.1:${rest}`, '--config-file', cfg, POLICY];
    spec = { ...spec, rest };
  } else {
    const cfg = join(work, `${name}.yaml`);
    // authz-defaults: `serve` with nothing but the policy and the addresses (BENCH_WORKERS does not apply).
    // BENCH_EVAL_TIMEOUT_MS=0 evaluates on the serving thread (no deadline) for comparison; default: the config default.
    const evalTimeout =
      process.env.BENCH_EVAL_TIMEOUT_MS !== undefined ? `policy:\n  eval_timeout_ms: ${Number(process.env.BENCH_EVAL_TIMEOUT_MS)}\n` : '';
    // Shadowing every check: no per-second bound below the load, a queue that does not drop at this load.
    const shadow = spec.shadow ? 'shadow:\n  sample_rate: 1\n  max_per_second: 1000000\n  queue_size: 100000\n' : '';
    writeFileSync(cfg, `${evalTimeout}${shadow}cache:\n  enabled: ${spec.cache}\nobservability:\n  decision_log:\n    enabled: ${spec.log}\n`);
    cmd = 'node';
    args = [
      ...AUTHZ_NODE_FLAGS,
      'dist/main.js',
      'serve',
      ...(spec.defaults ? [] : ['--config', cfg]),
      '--bundle',
      bundle,
      '--entrypoint',
      ENTRYPOINT,
      '--grpc-addr',
      '127.0.0.1:0',
      '--http-addr',
      '127.0.0.1:0',
      '--admin-addr',
      '127.0.0.1:0',
    ];
    if (WORKERS && !spec.defaults) args.push('--workers', WORKERS);
  }
  const child = spawn(cmd, args, { stdio: ['ignore', out, out] });
  let exited = false;
  child.once('exit', () => (exited = true));
  const deadline = Date.now() + 60_000;
  let info = {};
  while (Date.now() < deadline) {
    if (exited) throw new Error(`${name} exited at startup:\n${readFileSync(log, 'utf8').slice(0, 4000)}`);
    const text = readFileSync(log, 'utf8').slice(0, 200_000);
    if (spec.server === 'peer') {
      const ok = await fetch(`http://127.0.0.1:${spec.rest}/health?plugins`).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) break;
    } else {
      const m = text.match(/"grpc_port":(\d+)/);
      if (m) {
        port = Number(m[1]);
        const w = text.match(/"workers":(\d+)/);
        if (w) info = { workers: Number(w[1]) };
        const h = text.match(/"http_port":(\d+)/);
        if (h) spec = { ...spec, httpPort: Number(h[1]) };
        const a = text.match(/"admin_port":(\d+)/);
        if (a) spec = { ...spec, adminPort: Number(a[1]) };
        break;
      }
    }
    await sleep(100);
  }
  if (!port || Date.now() >= deadline) throw new Error(`${name} did not start:\n${readFileSync(log, 'utf8').slice(0, 4000)}`);
  if (spec.shadow) {
    // The candidate is loaded as an operator loads it (POST /v1/policies/shadow, as `mcp-authz policy shadow load`).
    const r = await fetch(`http://127.0.0.1:${spec.adminPort}/v1/policies/shadow`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ path: candidateBundle, by: 'bench' }),
    });
    if (!r.ok) throw new Error(`${name}: loading the shadow candidate answered ${r.status}: ${await r.text()}`);
  }
  return { child, port, log, info, httpPort: spec.httpPort };
}

async function stopServer(srv) {
  if (srv.child.exitCode !== null || srv.child.signalCode !== null) return;
  const done = new Promise((r) => srv.child.once('exit', r));
  srv.child.kill('SIGTERM');
  const timer = setTimeout(() => srv.child.kill('SIGKILL'), 20_000);
  await done;
  clearTimeout(timer);
}

// ---- correctness gate: both policy servers decide the same way ---------------------------------------------
async function sanity(name, spec, port) {
  if (spec.server === 'bare') return;
  const grpc = await import('@grpc/grpc-js');
  const { loadDescriptors } = await import(`${root}/dist/envoy/descriptors.js`);
  const { requestFromJson } = await import(`${root}/dist/check/check-request.js`);
  const pkg = grpc.loadPackageDefinition(loadDescriptors().packageDefinition);
  const client = new pkg.envoy.service.auth.v3.Authorization(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  const good = JSON.parse(readFileSync('bench/request.json', 'utf8'));
  const bad = structuredClone(good);
  bad.attributes.request.http.body = good.attributes.request.http.body.replace('https://httpbin.org/get', 'https://malicious.example/');
  const code = (req) =>
    new Promise((resolve, reject) =>
      client.Check(requestFromJson(req), { deadline: Date.now() + 10_000 }, (err, res) => (err ? reject(err) : resolve(res.status?.code ?? 0))),
    );
  try {
    const [allow, deny] = [await code(good), await code(bad)];
    if (allow !== 0 || deny !== 7)
      throw new Error(`${name}: expected allow (0) for bench/request.json and deny (7) for a bad URL, got ${allow} and ${deny}`);
  } finally {
    client.close();
  }
}

// ---- ghz -----------------------------------------------------------------------------------------------------
async function ghz(port, data, n, rps) {
  const r = await ghzReport({ port, data, n, c: C, connections: CONNECTIONS, rps });
  const pct = (p) => (r.latencyDistribution?.find((d) => d.percentage === p)?.latency ?? NaN) / 1e6; // ns → ms
  const ok = r.statusCodeDistribution?.OK ?? 0;
  return { rps: r.rps, p50_ms: pct(50), p99_ms: pct(99), count: r.count, errors: r.count - ok };
}

async function measure(name) {
  const spec = ALL[name];
  const srv = await startServer(name, spec);
  let peak = { mb: 0, procs: 0 };
  const sampler = setInterval(() => {
    const r = treeRssMb(srv.child.pid);
    if (r.mb > peak.mb) peak = r;
  }, 250);
  try {
    await sanity(name, spec, srv.port);
    await ghz(srv.port, spec.data, WARM, 0);
    const cpu0 = treeCpuMs(srv.child.pid);
    const max = await ghz(srv.port, spec.data, N, 0);
    // Server CPU per check over the unthrottled run: the server's own cost, which noise from other processes on
    // the machine changes far less than it changes rps.
    const cpu_us = ((treeCpuMs(srv.child.pid) - cpu0) * 1000) / max.count;
    const half = await ghz(srv.port, spec.data, Math.max(1000, Math.floor(N / 2)), Math.max(1, Math.floor(max.rps / 2)));
    const r = treeRssMb(srv.child.pid);
    if (r.mb > peak.mb) peak = r;
    // The share of checks answered from the decision cache (mcp-authz /metrics), so "100% hits" is a measurement.
    let cache_hit_ratio = NaN;
    // authz-nocache-shadow: the share of checks the candidate evaluated (mcp_authz_shadow_checks_total), so "every
    // check" is a measurement too.
    let shadow_share = NaN;
    if (srv.httpPort) {
      const text = await fetch(`http://127.0.0.1:${srv.httpPort}/metrics`).then(
        (x) => x.text(),
        () => '',
      );
      const sum = (name) =>
        text
          .split('\n')
          .filter((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`))
          .reduce((a, l) => a + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
      const shadowed = sum('mcp_authz_shadow_checks_total');
      if (spec.shadow) shadow_share = shadowed / (max.count + half.count + WARM + 2);
      const hits = sum('mcp_authz_decision_cache_hits_total');
      const misses = sum('mcp_authz_decision_cache_misses_total');
      if (hits + misses > 0) cache_hit_ratio = hits / (hits + misses);
    }
    return {
      cache_hit_ratio,
      shadow_share,
      rps: max.rps,
      cpu_us,
      p50_ms: max.p50_ms,
      p99_ms: max.p99_ms,
      half_rps: half.rps,
      half_p50_ms: half.p50_ms,
      half_p99_ms: half.p99_ms,
      rss_mb: peak.mb,
      processes: peak.procs,
      errors: max.errors + half.errors,
      ...srv.info,
    };
  } finally {
    clearInterval(sampler);
    await stopServer(srv);
    rmSync(srv.log, { force: true }); // decision logs can be tens of MB
  }
}

// ---- the run -------------------------------------------------------------------------------------------------
const median = (xs) => {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (!s.length) return NaN;
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const rounds = {};
const cpus = (await import('node:os')).availableParallelism();
say(
  `bench:compare: ${scenarios.length} scenarios × ${ROUNDS} round(s), n=${N}, c=${C}, connections=${CONNECTIONS}, ${cpus} CPUs, load average ${(
    await import('node:os')
  )
    .loadavg()
    .map((x) => x.toFixed(1))
    .join(' ')}`,
);
try {
  for (let round = 1; round <= ROUNDS; round++) {
    for (const s of scenarios) {
      say(`  round ${round}/${ROUNDS}: ${s} (${ALL[s].what})`);
      (rounds[s] ??= []).push(await measure(s));
    }
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
const results = {};
for (const [s, rs] of Object.entries(rounds)) {
  results[s] = Object.fromEntries(Object.keys(rs[0]).map((k) => [k, median(rs.map((r) => r[k]))]));
}

const f = (x, d = 2) => (Number.isFinite(x) ? x.toFixed(d) : 'n/a');
const lines = [];
lines.push(`## bench:compare ${stamp}`, '');
lines.push(
  `n=${N} per max run, c=${C} over ${CONNECTIONS} connections, ${ROUNDS} round(s) (medians), ${cpus} CPUs, ghz on the same machine; mcp-authz workers: ${WORKERS ?? 'default'}; peer: ${peerBin ? 'opa-envoy-plugin' : 'NOT on PATH (skipped)'}`,
  '',
);
lines.push(
  '| scenario | what | max rps | server CPU µs/check | p50 ms | p99 ms | p99 ms @50% | peak RSS MB (processes) | RSS MB per process | cache hits | shadowed | errors |',
);
lines.push('|---|---|---|---|---|---|---|---|---|---|---|---|');
for (const s of scenarios) {
  const r = results[s];
  lines.push(
    `| ${s} | ${ALL[s].what} | ${Math.round(r.rps)} | ${f(r.cpu_us, 0)} | ${f(r.p50_ms)} | ${f(r.p99_ms)} | ${f(r.half_p99_ms)} | ${f(r.rss_mb, 0)} (${r.processes}) | ${f(r.rss_mb / r.processes, 0)} | ${Number.isFinite(r.cache_hit_ratio) ? `${(r.cache_hit_ratio * 100).toFixed(0)}%` : '-'} | ${Number.isFinite(r.shadow_share) ? `${(r.shadow_share * 100).toFixed(0)}%` : '-'} | ${r.errors} |`,
  );
}
lines.push('', 'Ratios within the run (numerator / denominator; rps above 1 is better; CPU per check, latency and RSS below 1 are better):', '');
lines.push('| comparison | CPU efficiency | max rps | server CPU per check | p50 | p99 | p99 @50% | RSS | target |');
lines.push('|---|---|---|---|---|---|---|---|---|');
const ratios = [];
for (const [label, a, b, target] of RATIOS) {
  const x = results[a];
  const y = results[b];
  const q = (k) => (x && y ? x[k] / y[k] : NaN);
  const row = {
    label,
    numerator: a,
    denominator: b,
    efficiency: x && y ? y.cpu_us / x.cpu_us : NaN,
    rps: q('rps'),
    cpu: q('cpu_us'),
    p50: q('p50_ms'),
    p99: q('p99_ms'),
    half_p99: q('half_p99_ms'),
    rss: q('rss_mb'),
    target,
  };
  ratios.push(row);
  lines.push(
    `| ${label} | ${f(row.efficiency)} | ${f(row.rps)} | ${f(row.cpu)} | ${f(row.p50)} | ${f(row.p99)} | ${f(row.half_p99)} | ${f(row.rss)} | ${target} |`,
  );
}
const md = lines.join('\n');
writeFileSync(join(resultsDir, `compare-${stamp}.md`), `${md}\n`);
writeFileSync(
  join(resultsDir, `compare-${stamp}.json`),
  `${JSON.stringify({ stamp, n: N, concurrency: C, connections: CONNECTIONS, rounds: ROUNDS, cpus, workers: WORKERS ?? 'default', peer: peerBin || null, results, raw: rounds, ratios }, null, 2)}\n`,
);
console.log(md);
say(`\nsaved bench/results/compare-${stamp}.md and .json`);
