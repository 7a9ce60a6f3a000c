// Fault suite: every misbehaving policy (real `opa build` output) must be denied with its code, and the server
// must still serve after each. While a runaway evaluation spins, health is polled: no answer may stall longer
// than the evaluation deadline.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkRequest, clients, root, sleep, startServer, stopServer, toolCall } from './lib.mjs';

const MISBEHAVING = [
  { entrypoint: 'misbehaving/never', code: 'decision_undefined', why: 'undefined decision' },
  { entrypoint: 'misbehaving/string_decision', code: 'decision_invalid', why: 'a string decision' },
  { entrypoint: 'misbehaving/header_injection', code: 'decision_invalid', why: 'CRLF header injection' },
  { entrypoint: 'misbehaving/allowed_as_string', code: 'decision_invalid', why: '"allowed": "true"' },
  { entrypoint: 'misbehaving/bad_status', code: 'decision_invalid', why: 'http_status 299' },
  { entrypoint: 'misbehaving/conflict', code: 'policy_eval_error', why: 'conflicting complete rule' },
];

export async function faultSuite({ work, only }) {
  const faultsDir = join(root, 'test/fixtures/policies/faults');
  const { cases: faultCases } = JSON.parse(readFileSync(join(faultsDir, 'cases.json'), 'utf8'));
  let cases = [...faultCases.map((c) => ({ ...c, bundle: 'faults' })), ...MISBEHAVING.map((c) => ({ ...c, bundle: 'misbehaving' }))];
  if (only) cases = cases.filter((c, i) => only(c, i));
  const bundles = {
    faults: join(work, 'faults.tar.gz'),
    misbehaving: join(work, 'misbehaving.tar.gz'),
  };
  const build = (name, dir, eps) =>
    execFileSync('opa', ['build', '-t', 'wasm', ...eps.flatMap((e) => ['-e', e]), '-o', bundles[name], dir], { stdio: 'ignore' });
  build(
    'faults',
    faultsDir,
    faultCases.map((c) => c.entrypoint),
  );
  build(
    'misbehaving',
    join(root, 'test/fixtures/policies/misbehaving'),
    MISBEHAVING.map((c) => c.entrypoint),
  );
  const data = join(work, 'big.json');
  writeFileSync(data, JSON.stringify({ faults: { big_1m: 'x'.repeat(1024 * 1024), big_8m: 'y'.repeat(8 * 1024 * 1024) } }));
  const request = checkRequest(toolCall('fetch_url', { url: 'https://httpbin.org/get' }));

  const results = [];
  for (const k of cases) {
    const deadline = k.eval_timeout_ms ?? 10_000;
    const cfg = join(work, `fault-${k.entrypoint.replace('/', '-')}.yaml`);
    writeFileSync(cfg, `policy: {eval_timeout_ms: ${deadline}}\n`);
    const args = ['--config', cfg, '--bundle', bundles[k.bundle], '--entrypoint', k.entrypoint, ...(k.bundle === 'faults' ? ['--data', data] : [])];
    const srv = await startServer({
      args,
      log: join(work, `fault-${k.entrypoint.replace('/', '-')}.log`),
      env: { MCP_AUTHZ_SHUTDOWN_DRAIN_DELAY: '0' },
    });
    const c = clients(srv.address, 1);
    try {
      // Health answers on this machine without a runaway evaluation, for comparison.
      let baselineHealthMs = 0;
      for (let i = 0; i < 20; i++) {
        const t = performance.now();
        await c.health().catch(() => undefined);
        baselineHealthMs = Math.max(baselineHealthMs, performance.now() - t);
        await sleep(10);
      }
      // Health is polled while the check runs: the slowest health answer is the longest stall a prober saw.
      let pending = true;
      let slowestHealthMs = 0;
      const prober = (async () => {
        while (pending) {
          const t0 = performance.now();
          await c.health().catch(() => undefined);
          slowestHealthMs = Math.max(slowestHealthMs, performance.now() - t0);
          await sleep(10);
        }
      })();
      const t0 = performance.now();
      const res = await c.check(request, 30_000).catch((err) => ({ rpcError: err.details || err.message }));
      const checkMs = performance.now() - t0;
      pending = false;
      await prober;
      const code = res.denied_response ? JSON.parse(res.denied_response.body || '{}').code : undefined;
      const after = await c.health().catch(() => 'ERROR');
      const again = await c.check(request, 30_000).then(
        (r) => r.status?.code ?? 0,
        () => 'ERROR',
      );
      results.push({
        entrypoint: k.entrypoint,
        why: k.why,
        expected: k.code,
        got: res.rpcError ? `rpc error: ${res.rpcError}` : (code ?? (res.status?.code ? 'deny without code' : 'ALLOW')),
        allowed: !res.rpcError && (res.status?.code ?? 0) === 0,
        deadline_ms: deadline,
        check_ms: Math.round(checkMs),
        slowest_health_ms: Math.round(slowestHealthMs),
        slowest_health_before_ms: Math.round(baselineHealthMs),
        serving_after: after === 'SERVING' && again === 7,
      });
    } finally {
      c.close();
      await stopServer(srv);
    }
  }
  const runaway = results.filter((r) => r.expected === 'policy_timeout');
  return {
    cases: results.length,
    allows: results.filter((r) => r.allowed).length,
    wrong_codes: results.filter((r) => r.got !== r.expected).length,
    not_serving_after: results.filter((r) => !r.serving_after).length,
    runaway_check_ms: runaway.map((r) => r.check_ms),
    slowest_health_during_runaway_ms: runaway.length ? Math.max(...runaway.map((r) => r.slowest_health_ms)) : null,
    slowest_health_before_runaway_ms: runaway.length ? Math.max(...runaway.map((r) => r.slowest_health_before_ms)) : null,
    deadline_ms: runaway[0]?.deadline_ms ?? null,
    results,
  };
}
