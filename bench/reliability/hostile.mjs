// Hostile load: 1 MiB bodies at concurrency, many distinct requests (cache bound), silent TCP connections,
// extreme nesting. Process-tree RSS peak against the manifest's memory limit; p99 per phase.
import { writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { checkRequest, clients, closedLoop, metric, rssSampler, sleep, startServer, stopServer, toolCall } from './lib.mjs';

export async function hostileLoad({ work, bigBodies, distinct, idleConnections, nested }) {
  const cfg = join(work, 'hostile.yaml');
  // Short connection limits so the bench sees silent connections closed within seconds (defaults: 60 s + 20 s).
  writeFileSync(cfg, 'grpc: {keepalive_time_seconds: 3, keepalive_timeout_seconds: 2, max_connection_idle_seconds: 10}\n');
  const srv = await startServer({ args: ['--config', cfg], log: join(work, 'hostile.log'), env: { MCP_AUTHZ_SHUTDOWN_DRAIN_DELAY: '0' } });
  const c = clients(srv.address);
  const rss = rssSampler(srv.child.pid, 100);
  const out = {};
  try {
    // 1 MiB bodies (just under body.max_bytes), 16 at a time.
    const big = checkRequest(toolCall('fetch_url', { url: 'https://httpbin.org/get', note: 'n'.repeat(1024 * 1024 - 200) }));
    const b = await closedLoop(c, { concurrency: 16, count: bigBodies, next: () => ({ request: big }) });
    out.big_bodies = { count: b.answered, failed_rpcs: b.errors.length, p99_ms: b.p99, rss_peak_mb: rss.peak() };

    // Distinct requests: every one a cache miss; the cache must hold at its bound.
    const d = await closedLoop(c, {
      concurrency: 32,
      count: distinct,
      next: (i) => ({ request: checkRequest(toolCall('fetch_url', { url: `https://httpbin.org/get?i=${i}` })) }),
    });
    // With --workers N the scraped gauge is the sum over N workers, each with its own cache.
    const workers = srv.lines().find((l) => typeof l.workers === 'number')?.workers ?? 1;
    out.distinct = {
      count: d.answered,
      failed_rpcs: d.errors.length,
      rps: d.rps,
      p99_ms: d.p99,
      cache_entries: await metric(srv, 'mcp_authz_decision_cache_size'),
      workers,
      rss_peak_mb: rss.peak(),
    };

    // Extreme nesting: 100,000 levels, denied as body_too_deep before any evaluation.
    const deep = checkRequest(
      `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"x","arguments":{"a":${'['.repeat(100_000)}${']'.repeat(100_000)}}}}`,
    );
    let notDeep = 0;
    const n = await closedLoop(c, {
      concurrency: 16,
      count: nested,
      next: () => ({ request: deep }),
      judge: (_r, res) => (res.denied_response?.body ?? '').includes('body_too_deep') || !!notDeep++,
    });
    out.nesting = { count: n.answered, failed_rpcs: n.errors.length, not_too_deep: n.wrong, p99_ms: n.p99 };

    // Silent TCP connections (they never speak HTTP/2), while real traffic flows.
    const sockets = [];
    let closed = 0;
    for (let i = 0; i < idleConnections; i++) {
      const s = connect(srv.grpcPort, '127.0.0.1');
      s.on('error', () => undefined);
      s.on('close', () => closed++);
      s.resume();
      sockets.push(s);
    }
    await sleep(500);
    const allowReq = checkRequest(toolCall('fetch_url', { url: 'https://httpbin.org/get' }));
    const during = await closedLoop(c, { concurrency: 16, ms: 3000, next: () => ({ request: allowReq }) });
    const t0 = Date.now();
    while (closed < idleConnections && Date.now() - t0 < 30_000) await sleep(200);
    out.idle = {
      connections: idleConnections,
      closed_by_server: closed,
      closed_within_s: +((Date.now() - t0) / 1000 + 3.5).toFixed(1),
      traffic_failed_rpcs: during.errors.length,
      traffic_p99_ms: during.p99,
    };
    for (const s of sockets) s.destroy();
    out.rss_peak_mb = rss.peak();
    return out;
  } finally {
    rss.stop();
    c.close();
    await stopServer(srv);
  }
}
