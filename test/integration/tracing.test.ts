import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mcpCheckRequest, toolCall } from '../helpers/requests.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  status?: { code?: number; message?: string };
  attributes?: { key: string; value: Record<string, unknown> }[];
}

/** A real OTLP/HTTP JSON receiver on 127.0.0.1 that records every span it is sent. */
function startReceiver(): Promise<{ server: Server; url: string; spans: OtlpSpan[] }> {
  const spans: OtlpSpan[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const doc = JSON.parse(body);
      for (const rs of doc.resourceSpans ?? []) for (const ss of rs.scopeSpans ?? []) spans.push(...(ss.spans ?? []));
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{}');
    });
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/traces`, spans })),
  );
}

const attr = (s: OtlpSpan, key: string) => {
  const v = s.attributes?.find((a) => a.key === key)?.value;
  return v ? Object.values(v)[0] : undefined;
};

async function until<T>(f: () => T | undefined, what: string): Promise<T> {
  for (let i = 0; i < 100; i++) {
    const v = f();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('OpenTelemetry traces to an in-process OTLP receiver', () => {
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let server: TestServer;
  const saved = { ...process.env };

  beforeAll(async () => {
    receiver = await startReceiver();
    // The OTLP exporter reads its settings from process.env, as in production.
    Object.assign(process.env, {
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: receiver.url,
      OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/json',
      OTEL_BSP_SCHEDULE_DELAY: '50',
      OTEL_SERVICE_NAME: 'mcp-authz-test',
    });
    server = await startTestServer({}, undefined, process.env);
  });
  afterAll(async () => {
    await server?.close();
    receiver?.server.close();
    process.env = saved;
  });

  it('continues the trace from traceparent, with one child span per stage and decision attributes', async () => {
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const parentId = '00f067aa0ba902b7';
    await server.client.check(
      mcpCheckRequest(toolCall('fetch_url', { url: 'https://malicious.com' }), { headers: { traceparent: `00-${traceId}-${parentId}-01` } }),
    );
    const check = await until(() => receiver.spans.find((s) => s.traceId === traceId && s.name === 'ext_authz.check'), 'the check span');
    expect(check.parentSpanId).toBe(parentId);
    expect(attr(check, 'authz.decision')).toBe('deny');
    expect(attr(check, 'authz.rule')).toBe('url_not_allowed');
    expect(attr(check, 'mcp.method')).toBe('tools/call');
    expect(attr(check, 'mcp.tool.name')).toBe('fetch_url');
    expect(attr(check, 'authz.policy.revision')).toBe(server.app.policy()!.revision);
    // A deny is the server working as intended: not an error in error-rate dashboards.
    expect(check.status?.code ?? 0).not.toBe(2);
    expect(attr(check, 'authz.denial')).toBe('policy_denied: url_not_allowed');
    expect(attr(check, 'authz.cache')).toBe('miss');
    const children = await until(() => {
      const c = receiver.spans.filter((s) => s.parentSpanId === check.spanId);
      return c.length >= 8 ? c : undefined;
    }, 'child spans');
    expect(children.map((c) => c.name).sort()).toEqual(['cache', 'decide', 'decode', 'evaluate', 'facts', 'identity', 'input', 'respond']);
    expect(attr(check, 'authz.reason_code')).toBe('policy_denied');
    const cache = children.find((c) => c.name === 'cache')!;
    const evaluate = await until(() => receiver.spans.find((s) => s.name === 'evaluate' && s.parentSpanId === check.spanId), 'evaluate span');
    expect(evaluate.traceId).toBe(traceId);
    expect(cache.traceId).toBe(traceId);
  });

  it('continues a B3 trace when there is no traceparent', async () => {
    const traceId = '80f198ee56343ba864fe8b2a57d3eff7';
    await server.client.check(
      mcpCheckRequest(toolCall('fetch_url', { url: 'https://httpbin.org/get' }), {
        headers: { 'x-b3-traceid': traceId, 'x-b3-spanid': 'e457b5a2e4d86bd1', 'x-b3-sampled': '1' },
      }),
    );
    const check = await until(() => receiver.spans.find((s) => s.traceId === traceId && s.name === 'ext_authz.check'), 'the B3 check span');
    expect(check.parentSpanId).toBe('e457b5a2e4d86bd1');
    expect(attr(check, 'authz.decision')).toBe('allow');
    expect(check.status?.code ?? 0).not.toBe(2);
  });

  it('a server-side failure is an ERROR span; the root span carries the agent', async () => {
    const traceId = '5bf92f3577b34da6a3ce929d0e0e4737';
    const req = mcpCheckRequest(toolCall('fetch_url', { url: 'https://httpbin.org/get' }), {
      headers: { traceparent: `00-${traceId}-00f067aa0ba902b7-01` },
    }) as any;
    req.attributes.source = { principal: 'spiffe://cluster.local/ns/agents/sa/fetcher' };
    await server.client.check(req);
    const ok = await until(() => receiver.spans.find((s) => s.traceId === traceId && s.name === 'ext_authz.check'), 'the check span');
    expect(attr(ok, 'authz.agent')).toBe('spiffe://cluster.local/ns/agents/sa/fetcher');
    // No HTTP attributes at all: request_invalid, a failure of the request, counted as an error.
    const bad = 'a6f92f3577b34da6a3ce929d0e0e4738';
    await server.client.check({ attributes: { request: { http: { headers: { traceparent: `00-${bad}-00f067aa0ba902b7-01` } } } } });
    const failed = await until(() => receiver.spans.find((s) => s.traceId === bad && s.name === 'ext_authz.check'), 'the failed check span');
    expect(attr(failed, 'authz.decision')).toBe('error');
    expect(failed.status?.code).toBe(2);
  });

  it('puts the trace id in the decision log', async () => {
    const traceId = '0af7651916cd43dd8448eb211c80319c';
    await server.client.check(
      mcpCheckRequest(toolCall('fetch_url', { url: 'https://malicious.com' }), { headers: { traceparent: `00-${traceId}-b7ad6b7169203331-01` } }),
    );
    const line = await until(() => server.decisions.find((d) => d.trace_id === traceId), 'decision log line');
    expect(line.decision).toBe('deny');
  });
});
