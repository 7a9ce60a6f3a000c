import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { version } from '../../src/shared/version.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mcpCheckRequest, toolCall } from '../helpers/requests.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

/** Parse Prometheus text into {name{labels}: value}. */
function parseMetrics(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const i = line.lastIndexOf(' ');
    out.set(line.slice(0, i), Number(line.slice(i + 1)));
  }
  return out;
}

describe('metrics and decision logs through a real server', () => {
  let server: TestServer;
  let base: string;
  beforeAll(async () => {
    const { mkdtemp } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const dir = await mkdtemp(join(tmpdir(), 'mcp-authz-obs-'));
    const config = join(dir, 'config.yaml');
    await writeFile(
      config,
      [
        'observability:',
        '  known_tools: [fetch_url]',
        '  decision_log:',
        '    log_input: true',
        '    redact_fields: [arguments.card.number, "arguments.items[*].ssn", headers.x-secret-token, claims.email]',
      ].join('\n'),
    );
    server = await startTestServer({}, config);
    base = `http://127.0.0.1:${server.app.http.port}`;
  });
  afterAll(async () => {
    await server?.close();
  });

  it('counts checks by decision, method and reason; histograms count every check', async () => {
    const before = parseMetrics(await (await fetch(`${base}/metrics`)).text());
    const get = (m: Map<string, number>, k: string) => m.get(k) ?? 0;
    const allow = mcpCheckRequest(toolCall('fetch_url', { url: 'https://httpbin.org/get' }));
    const deny = mcpCheckRequest(toolCall('fetch_url', { url: 'https://malicious.com' }));
    for (let i = 0; i < 3; i++) await server.client.check(allow);
    for (let i = 0; i < 2; i++) await server.client.check(deny);
    await server.client.check(mcpCheckRequest('{"jsonrpc":"2.0",'));
    await server.client.check(mcpCheckRequest(toolCall('some_unlisted_tool', {})));

    const res = await fetch(`${base}/metrics`);
    expect(res.headers.get('content-type')).toMatch(/text\/plain/);
    const after = parseMetrics(await res.text());
    const delta = (k: string) => get(after, k) - get(before, k);
    expect(delta('mcp_authz_checks_total{decision="allow",mode="enforce",mcp_method="tools/call",reason_code="allowed",tool="fetch_url"}')).toBe(3);
    expect(delta('mcp_authz_checks_total{decision="deny",mode="enforce",mcp_method="tools/call",reason_code="policy_denied",tool="fetch_url"}')).toBe(
      2,
    );
    expect(delta('mcp_authz_checks_total{decision="deny",mode="enforce",mcp_method="none",reason_code="body_invalid_json",tool="none"}')).toBe(1);
    expect(delta('mcp_authz_checks_total{decision="allow",mode="enforce",mcp_method="tools/call",reason_code="allowed",tool="other"}')).toBe(1);
    expect(delta('mcp_authz_body_parse_failures_total{code="body_invalid_json"}')).toBe(1);
    const durations = (m: Map<string, number>, cache: string) => get(m, `mcp_authz_check_duration_seconds_count{cache="${cache}"}`);
    expect(durations(after, 'hit') - durations(before, 'hit')).toBe(3);
    expect(durations(after, 'miss') - durations(before, 'miss')).toBe(3);
    expect(durations(after, 'off') - durations(before, 'off')).toBe(1); // the unparseable body ends before the cache
    expect(delta('mcp_authz_decision_cache_hits_total') + delta('mcp_authz_decision_cache_misses_total')).toBe(6);
    expect(delta('mcp_authz_decision_cache_hits_total')).toBe(3); // 2 repeat allows + 1 repeat deny
    expect(get(after, `mcp_authz_policy_info{revision="${server.app.policy()!.revision}",source="${server.app.policy()!.source}"}`)).toBe(1);
    expect([...after.keys()].some((k) => k.startsWith('process_cpu_user_seconds_total'))).toBe(true);
    // Denials by rule (the pack's url_not_allowed); the embedded policy is local and loaded: nothing is stale.
    expect(delta('mcp_authz_denials_total{decision="deny",mode="enforce",rule="url_not_allowed"}')).toBe(2);
    expect(get(after, 'mcp_authz_policy_seconds_since_last_success')).toBe(0);
    expect([...after.entries()].filter(([k]) => k.startsWith('mcp_authz_build_info{'))).toEqual([
      [`mcp_authz_build_info{version="${version()}",node_version="${process.versions.node}"}`, 1],
    ]);
  });

  it('keeps label cardinality bounded under 10,000 random tool names and methods', async () => {
    const calls = Array.from({ length: 10_000 }, (_, i) => {
      const body = {
        jsonrpc: '2.0',
        id: i,
        method: i % 2 ? 'tools/call' : `x/${i}`,
        params: { name: `tool_${i}_${Math.random().toString(36).slice(2)}`, arguments: {} },
      };
      return server.client.check(mcpCheckRequest(body));
    });
    await Promise.all(calls);
    const text = await (await fetch(`${base}/metrics`)).text();
    const series = text.split('\n').filter((l) => l.startsWith('mcp_authz_checks_total{'));
    expect(series.length).toBeLessThan(30);
    expect(text).not.toMatch(/tool_\d+_/);
    expect(text).not.toMatch(/x\/\d+/);
  }, 240_000); // 10,000 uncached checks over gRPC: about 6 s on a quiet machine, close to a minute on a saturated one

  it('logs one policy_decision line per check with the fields operators grep for, redacted', async () => {
    const n = server.decisions.length;
    const req = mcpCheckRequest(
      toolCall('fetch_url', {
        url: 'https://malicious.com',
        card: { number: '4111111111111111', exp: '12/30' },
        items: [{ ssn: '123-45-6789', ok: 1 }, { ssn: '987-65-4321' }],
      }),
      { headers: { authorization: 'Bearer sekrit-token', 'x-secret-token': 'hunter2', cookie: 'sid=abc' } },
    );
    await server.client.check(req);
    const batch = mcpCheckRequest([
      toolCall('fetch_url', { url: 'https://httpbin.org/get', items: [{ ssn: '111-22-3333' }] }, 1),
      toolCall('fetch_url', { url: 'https://httpbin.org/get', card: { number: '5500000000000004' } }, 2),
    ]);
    await server.client.check(batch);
    await new Promise((r) => setTimeout(r, 50));
    const lines = server.decisions.slice(n);
    expect(lines).toHaveLength(2);
    const [single, multi] = lines as [Record<string, any>, Record<string, any>];
    expect(single).toMatchObject({
      msg: 'policy_decision',
      decision: 'deny',
      wouldDeny: false,
      mode: 'enforce',
      policy: server.app.policy()!.revision,
      rule: 'url_not_allowed',
      path: '/mcp',
      method: 'POST',
      mcp: { method: 'tools/call', tool: 'fetch_url', id: 2 },
      reason_code: 'policy_denied',
    });
    expect(single.decision_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(typeof single.duration_us).toBe('number');
    expect(multi).toMatchObject({ decision: 'allow', mcp: { method: 'batch', batch_size: 2 } });
    const raw = JSON.stringify(lines);
    for (const secret of [
      '4111111111111111',
      '123-45-6789',
      '987-65-4321',
      '111-22-3333',
      '5500000000000004',
      'sekrit-token',
      'hunter2',
      'sid=abc',
    ]) {
      expect(raw).not.toContain(secret);
    }
    expect(single.input.mcp.arguments.card).toEqual({ number: '[REDACTED]', exp: '12/30' });
    expect(single.input.mcp.arguments.items).toEqual([{ ssn: '[REDACTED]', ok: 1 }, { ssn: '[REDACTED]' }]);
    expect(single.input.attributes.request.http.headers.authorization).toBe('[REDACTED]');
  });

  it('with tracing off, the decision log still names the trace the gateway propagated (traceparent)', async () => {
    const traceId = '1bf92f3577b34da6a3ce929d0e0e4739';
    await server.client.check(
      mcpCheckRequest(toolCall('fetch_url', { url: 'https://httpbin.org/get' }), { headers: { traceparent: `00-${traceId}-00f067aa0ba902b7-01` } }),
    );
    await expect.poll(() => server.decisions.find((d) => d.trace_id === traceId)?.decision, { timeout: 5000 }).toBe('allow');
  });

  it('serves /healthz and /readyz', async () => {
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready' });
  });
});
