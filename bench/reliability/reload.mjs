// Reload under load: paced at about half the server's max rps, while the policy is reloaded again and again,
// mixing good data changes, broken Rego and broken data, triggered by file watch, SIGHUP and the admin API.
import { cpSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkRequest, clients, closedLoop, metric, pacedLoad, rssSampler, root, sleep, startServer, stopServer, toolCall } from './lib.mjs';

const allowReq = checkRequest(toolCall('fetch_url', { url: 'https://httpbin.org/get' }));
const denyReq = checkRequest(toolCall('fetch_url', { url: 'https://malicious.example/x' }));
const next = (i) => (i % 2 ? { request: allowReq, expect: 0 } : { request: denyReq, expect: 7 });
const judge = (req, res) => (res.status?.code ?? 0) === req.expect;

export async function reloadUnderLoad({ work, seconds, probeSeconds, reloads }) {
  const dir = join(work, 'reload');
  mkdirSync(dir, { recursive: true });
  cpSync(join(root, 'rego'), join(dir, 'rego'), { recursive: true });
  const data = join(dir, 'data.yaml');
  const good = (n) => writeFileSync(data, `mcp_authz:\n  approved_hosts: [httpbin.org, api.weather.gov, extra-${n}.example]\n`);
  good(0);
  const srv = await startServer({ args: ['--policy', join(dir, 'rego'), '--data', data], log: join(work, 'reload.log') });
  const c = clients(srv.address);
  const rss = rssSampler(srv.child.pid);
  try {
    const probe = await closedLoop(c, { concurrency: 32, ms: probeSeconds * 1000, next, judge });
    const rps = Math.max(50, Math.round(probe.rps / 2));
    const before = {
      ok: await metric(srv, 'mcp_authz_policy_reloads_total', 'result="success"'),
      failed: await metric(srv, 'mcp_authz_policy_reloads_total', 'result="failure"'),
    };

    // The reload driver: one step every seconds/reloads, cycling good/broken content and watch/SIGHUP/admin triggers.
    // After each step it waits (up to 10 s) until the server has finished a reload, so every content, broken ones
    // included, is really loaded once even when a loaded machine makes `opa build` slower than the step interval.
    const reloadsDone = async () =>
      (await metric(srv, 'mcp_authz_policy_reloads_total', 'result="success"')) +
      (await metric(srv, 'mcp_authz_policy_reloads_total', 'result="failure"'));
    let steps = 0;
    const kinds = ['good', 'broken-rego', 'fix-rego', 'good', 'broken-data', 'good'];
    const triggers = ['watch', 'sighup', 'admin'];
    const driver = (async () => {
      const every = (seconds * 1000) / (reloads + 1);
      for (let i = 0; i < reloads; i++) {
        await sleep(every);
        const done = await reloadsDone();
        const kind = kinds[i % kinds.length];
        if (kind === 'good') good(i + 1);
        else if (kind === 'broken-rego') writeFileSync(join(dir, 'rego', 'broken.rego'), 'package mcp.authz\nthis is not rego\n');
        else if (kind === 'fix-rego') rmSync(join(dir, 'rego', 'broken.rego'), { force: true });
        else if (kind === 'broken-data') writeFileSync(data, 'mcp_authz:\n  approved_hosts: 5\n');
        const trigger = triggers[i % triggers.length];
        if (trigger === 'sighup') srv.child.kill('SIGHUP');
        else if (trigger === 'admin') await fetch(`http://127.0.0.1:${srv.adminPort}/v1/policies/reload`, { method: 'POST' }).catch(() => undefined);
        for (const until = Date.now() + 10_000; Date.now() < until && (await reloadsDone()) <= done; ) await sleep(50);
        steps++;
      }
    })();
    const load = await pacedLoad(c, { rps, ms: seconds * 1000, next, judge });
    await driver;
    await sleep(1000);
    const after = {
      ok: await metric(srv, 'mcp_authz_policy_reloads_total', 'result="success"'),
      failed: await metric(srv, 'mcp_authz_policy_reloads_total', 'result="failure"'),
    };
    return {
      max_rps: probe.rps,
      paced_rps: rps,
      seconds,
      reload_steps: steps,
      reloads_ok: after.ok - before.ok,
      reloads_failed: after.failed - before.failed,
      checks: load.sent,
      failed_rpcs: load.errors.length,
      wrong_answers: load.wrong,
      p50_ms: load.p50,
      p99_ms: load.p99,
      max_ms: load.max,
      rss_peak_mb: rss.peak(),
      errors_sample: load.errors.slice(0, 3),
    };
  } finally {
    rss.stop();
    c.close();
    await stopServer(srv);
  }
}
