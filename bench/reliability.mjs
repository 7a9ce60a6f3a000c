// `npm run reliability`: mcp-authz on an operator's worst day (issue 14). Not part of `npm test`; the test suite
// runs a short slice (`--slice`, test/integration/reliability-slice.test.ts).
//
//   reload    ~50% of max rps for 30 s, 24 reloads mixing good data, broken Rego and broken data, by file watch,
//             SIGHUP and the admin API: failed RPCs and wrong answers (targets: 0 and 0)
//   sigterm   paced load, SIGTERM; a health poller stops the traffic once it sees NOT_SERVING: failed RPCs,
//             errors during the drain delay (target: 0), in-flight answered, drained
//   faults    every misbehaving policy denied with its code, the server serving after each (target: 0 allows);
//             the slowest health answer while a runaway evaluation spins (target: below the deadline)
//   hostile   1 MiB bodies at concurrency 16, 100,000 distinct requests, 100,000-level nesting, 2,000 silent TCP
//             connections: p99, cache bound, connections closed, RSS peak (target: below the manifest's limit)
//   soak      1,000,000 checks: `node --expose-gc bench/soak.mjs` (RSS trend), reported in bench/README.md
//
// Usage: npm run reliability [-- --slice] [-- --only reload,faults] [-- --json]
// Writes bench/results/reliability-<stamp>.{md,json}; exits 1 when a target is missed.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { faultSuite } from './reliability/faults.mjs';
import { hostileLoad } from './reliability/hostile.mjs';
import { manifestMemoryLimitMb, root } from './reliability/lib.mjs';
import { reloadUnderLoad } from './reliability/reload.mjs';
import { sigtermUnderLoad } from './reliability/sigterm.mjs';

const argv = process.argv.slice(2);
const slice = argv.includes('--slice');
const json = argv.includes('--json');
const onlyArg = argv[argv.indexOf('--only') + 1];
const only = argv.includes('--only') ? new Set(onlyArg.split(',')) : undefined;
const want = (name) => !only || only.has(name);
const log = (...a) => (json ? process.stderr : process.stdout).write(`${a.join(' ')}\n`);

if (process.env.RELIABILITY_NO_BUILD !== '1') {
  const b = spawnSync('npm', ['run', '--silent', 'build'], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
  if (b.status !== 0) process.exit(2);
}

const work = mkdtempSync(join(tmpdir(), 'mcp-authz-reliability-'));
const limitMb = manifestMemoryLimitMb();
const results = {};
const targets = [];
const target = (what, ok, value) => targets.push({ what, ok, value });
try {
  if (want('reload')) {
    log('reliability: reload under load…');
    const r = (results.reload = await reloadUnderLoad({ work, seconds: slice ? 8 : 30, probeSeconds: slice ? 2 : 5, reloads: slice ? 6 : 24 }));
    target('reload: failed RPCs = 0', r.failed_rpcs === 0, r.failed_rpcs);
    target('reload: wrong answers = 0', r.wrong_answers === 0, r.wrong_answers);
    target(`reload: RSS peak ≤ ${limitMb} MiB`, r.rss_peak_mb <= limitMb, r.rss_peak_mb);
  }
  if (want('sigterm')) {
    log('reliability: SIGTERM under load…');
    const r = (results.sigterm = await sigtermUnderLoad({
      work,
      drainDelay: slice ? 1 : 5,
      before: slice ? 1.5 : 5,
      probeSeconds: slice ? 1 : 3,
      healthEveryMs: slice ? 100 : 1000,
    }));
    target('sigterm: failed RPCs = 0', r.failed_rpcs === 0, r.failed_rpcs);
    target('sigterm: errors during the drain delay = 0', r.errors_during_drain_delay === 0, r.errors_during_drain_delay);
    target('sigterm: every check sent answered', r.answered === r.checks, `${r.answered}/${r.checks}`);
    target('sigterm: drained, exit 0', r.drained === true && r.exit_code === 0, `${r.drained}, ${r.exit_code}`);
  }
  if (want('faults')) {
    log('reliability: fault suite…');
    const r = (results.faults = await faultSuite({
      work,
      ...(slice
        ? {
            only: (c) =>
              ['faults/query_amp', 'faults/header_c1', 'faults/body_huge', 'faults/deny_200', 'faults/spin', 'misbehaving/conflict'].includes(
                c.entrypoint,
              ),
          }
        : {}),
    }));
    target('faults: allows = 0', r.allows === 0, r.allows);
    target('faults: every case denied with its code', r.wrong_codes === 0, r.wrong_codes);
    target('faults: serving after every case', r.not_serving_after === 0, r.not_serving_after);
    if (r.slowest_health_during_runaway_ms !== null)
      target(
        `faults: no stall longer than the deadline (${r.deadline_ms} ms)`,
        r.slowest_health_during_runaway_ms < r.deadline_ms,
        `${r.slowest_health_during_runaway_ms} ms`,
      );
  }
  if (want('hostile')) {
    log('reliability: hostile load…');
    const r = (results.hostile = await hostileLoad({
      work,
      bigBodies: slice ? 32 : 400,
      distinct: slice ? 3000 : 100_000,
      idleConnections: slice ? 200 : 2000,
      nested: slice ? 50 : 1000,
    }));
    const failed = r.big_bodies.failed_rpcs + r.distinct.failed_rpcs + r.nesting.failed_rpcs + r.idle.traffic_failed_rpcs;
    target('hostile: failed RPCs = 0', failed === 0, failed);
    target(
      'hostile: cache within cache.max_entries (10,000 per worker)',
      r.distinct.cache_entries <= 10_000 * r.distinct.workers,
      `${r.distinct.cache_entries} over ${r.distinct.workers} worker(s)`,
    );
    target('hostile: deep nesting denied as body_too_deep', r.nesting.not_too_deep === 0, r.nesting.not_too_deep);
    target(
      'hostile: silent connections closed by the server',
      r.idle.closed_by_server === r.idle.connections,
      `${r.idle.closed_by_server}/${r.idle.connections}`,
    );
    target(`hostile: RSS peak ≤ ${limitMb} MiB`, r.rss_peak_mb <= limitMb, r.rss_peak_mb);
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}

const stamp = new Date()
  .toISOString()
  .replace(/[-:]/g, '')
  .replace(/\.\d+Z$/, 'Z');
const env = {
  slice,
  workers: process.env.RELIABILITY_WORKERS ?? 'default',
  cpus: cpus().length,
  load_average: loadavg().map((l) => +l.toFixed(1)),
  node: process.version,
  manifest_memory_limit_mb: limitMb,
};
const md = [
  `## reliability ${stamp}${slice ? ' (slice)' : ''}`,
  '',
  `${env.cpus} CPUs, load average ${env.load_average.join(' ')}, Node ${env.node}, --workers ${env.workers}; load generator on the same machine.`,
  '',
  '| target | met | value |',
  '|---|---|---|',
  ...targets.map((t) => `| ${t.what} | ${t.ok ? 'yes' : '**NO**'} | ${t.value} |`),
  '',
  '```json',
  JSON.stringify(results, (k, v) => (k === 'results' ? undefined : v), 2),
  '```',
].join('\n');
if (!slice) {
  mkdirSync(join(root, 'bench/results'), { recursive: true });
  writeFileSync(join(root, `bench/results/reliability-${stamp}.md`), `${md}\n`);
  writeFileSync(join(root, `bench/results/reliability-${stamp}.json`), `${JSON.stringify({ stamp, env, targets, results }, null, 2)}\n`);
}
if (json) process.stdout.write(`${JSON.stringify({ env, targets, results })}\n`);
else log(md);
process.exit(targets.every((t) => t.ok) ? 0 : 1);
