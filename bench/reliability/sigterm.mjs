// SIGTERM under load: paced load; SIGTERM; a health poller (as Envoy's health check) stops the traffic once it sees
// NOT_SERVING. Every check sent must be answered: none may fail during the drain delay or while draining.
import { join } from 'node:path';
import { checkRequest, clients, closedLoop, logLines, pacedLoad, sleep, startServer, stopServer, toolCall } from './lib.mjs';

const allowReq = checkRequest(toolCall('fetch_url', { url: 'https://httpbin.org/get' }));
const denyReq = checkRequest(toolCall('fetch_url', { url: 'https://malicious.example/x' }));
const next = (i) => (i % 2 ? { request: allowReq, expect: 0 } : { request: denyReq, expect: 7 });
const judge = (req, res) => (res.status?.code ?? 0) === req.expect;

export async function sigtermUnderLoad({ work, drainDelay, before, probeSeconds, healthEveryMs }) {
  const srv = await startServer({ args: ['--shutdown-drain-delay', String(drainDelay), '--shutdown-grace', '10'], log: join(work, 'sigterm.log') });
  const c = clients(srv.address);
  try {
    const probe = await closedLoop(c, { concurrency: 32, ms: probeSeconds * 1000, next, judge });
    const rps = Math.max(50, Math.round(probe.rps / 2));
    let notServingAt;
    let sigtermAt;
    const started = performance.now();
    const poller = (async () => {
      while (notServingAt === undefined) {
        const status = await c.health(1000).catch(() => 'ERROR');
        if (sigtermAt !== undefined && status !== 'SERVING') notServingAt = performance.now() - started;
        await sleep(healthEveryMs);
      }
    })();
    const signal = (async () => {
      await sleep(before * 1000);
      sigtermAt = performance.now() - started;
      srv.child.kill('SIGTERM');
    })();
    const load = await pacedLoad(c, { rps, ms: (before + drainDelay + 30) * 1000, next, judge, stop: () => notServingAt !== undefined });
    await signal;
    await poller;
    const exit = await srv.exited;
    const logs = logLines(srv.log);
    const drainEnd = sigtermAt + drainDelay * 1000;
    return {
      paced_rps: rps,
      drain_delay_s: drainDelay,
      checks: load.sent,
      answered: load.answered,
      failed_rpcs: load.errors.length,
      errors_during_drain_delay: load.errors.filter((e) => e.at >= sigtermAt && e.at <= drainEnd).length,
      wrong_answers: load.wrong,
      in_flight_at_sigterm: logs.find((l) => l.msg === 'shutting down')?.in_flight ?? null,
      not_serving_seen_after_ms: notServingAt !== undefined ? Math.round(notServingAt - sigtermAt) : null,
      drained: logs.find((l) => l.msg === 'stopped')?.drained ?? null,
      exit_code: exit.code,
      p99_ms: load.p99,
      errors_sample: load.errors.slice(0, 3),
    };
  } finally {
    c.close();
    await stopServer(srv);
  }
}
