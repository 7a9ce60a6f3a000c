import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createTracing, parseResourceAttributes, tracingConfig, tracingEnabled, type Tracing } from '../../../src/observability/tracing.js';

interface Received {
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** An OTLP/HTTP receiver on 127.0.0.1:0 that keeps every POST. */
async function startReceiver(): Promise<{ server: Server; url: string; posts: Received[] }> {
  const posts: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.method === 'POST' && req.url === '/v1/traces') posts.push({ headers: req.headers, body: Buffer.concat(chunks) });
      const json = String(req.headers['content-type']).includes('json');
      res.writeHead(200, { 'content-type': json ? 'application/json' : 'application/x-protobuf' });
      res.end(json ? '{}' : '');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { server, url: `http://127.0.0.1:${port}`, posts };
}

interface JsonSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes: { key: string; value: Record<string, unknown> }[];
  status?: { code?: number; message?: string };
}

/** Spans and resource attributes from OTLP/JSON export requests. */
function spansOf(posts: Received[]): { spans: JsonSpan[]; resource: Record<string, unknown> } {
  const spans: JsonSpan[] = [];
  let resource: Record<string, unknown> = {};
  for (const p of posts) {
    const doc = JSON.parse(p.body.toString('utf8')) as {
      resourceSpans: { resource: { attributes: JsonSpan['attributes'] }; scopeSpans: { spans: JsonSpan[] }[] }[];
    };
    for (const rs of doc.resourceSpans) {
      resource = attrs(rs.resource.attributes);
      for (const ss of rs.scopeSpans) spans.push(...ss.spans);
    }
  }
  return { spans, resource };
}

const attrs = (list: JsonSpan['attributes']): Record<string, unknown> => Object.fromEntries(list.map((a) => [a.key, Object.values(a.value)[0]]));

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const PARENT = '00f067aa0ba902b7';
const SPAN_KIND_SERVER = 2; // OTLP enum
const STATUS_ERROR = 2;

describe('tracing configuration from OTEL_* variables', () => {
  it.each([
    [{}, false],
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' }, true],
    [{ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://127.0.0.1:4318/v1/traces' }, true],
    [{ OTEL_TRACES_EXPORTER: 'otlp' }, true],
    [{ OTEL_TRACES_EXPORTER: 'console, otlp' }, true],
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: '  ' }, false],
    [{ OTEL_TRACES_EXPORTER: 'none', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://x' }, false],
    [{ OTEL_SDK_DISABLED: 'true', OTEL_TRACES_EXPORTER: 'otlp' }, false],
    [{ OTEL_SDK_DISABLED: 'TRUE', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://x' }, false],
  ])('%j → %s', (env, enabled) => {
    expect(tracingEnabled(env as NodeJS.ProcessEnv)).toBe(enabled);
  });

  it('derives the traces URL, protocol and service name', () => {
    expect(tracingConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/' }).config).toEqual({
      url: 'http://collector:4318/v1/traces',
      protocol: 'http/protobuf',
      serviceName: 'mcp-authz',
      resourceAttributes: {},
    });
    expect(tracingConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://a:4318', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://b/custom' }).config?.url).toBe(
      'https://b/custom',
    );
    expect(tracingConfig({ OTEL_TRACES_EXPORTER: 'otlp' }).config?.url).toBe('http://localhost:4318/v1/traces');
    expect(tracingConfig({ OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' }).config?.protocol).toBe('http/json');
    expect(tracingConfig({ OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/protobuf' }).config?.protocol).toBe(
      'http/protobuf',
    );
    expect(tracingConfig({ OTEL_RESOURCE_ATTRIBUTES: 'service.name=from-attrs' }).config?.serviceName).toBe('from-attrs');
    expect(tracingConfig({ OTEL_RESOURCE_ATTRIBUTES: 'service.name=from-attrs', OTEL_SERVICE_NAME: 'authz' }).config?.serviceName).toBe('authz');
    expect(parseResourceAttributes('a=1, b = x%20y ,bad,=v,c=%E0')).toEqual({ a: '1', b: 'x y' });
  });

  it('turns itself off, with a warning, for grpc or a bad endpoint', async () => {
    for (const env of [
      { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4317', OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' },
      { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'collector:4318' },
    ]) {
      const t = await createTracing(env);
      expect(t.enabled).toBe(false);
      expect(t.warnings).toHaveLength(1);
      expect(t.warnings[0]).toMatch(/^tracing disabled: /);
    }
  });

  it('is a shared no-op when off', async () => {
    const t = await createTracing({});
    expect(t.enabled).toBe(false);
    expect(t.warnings).toEqual([]);
    const a = t.startCheck({ traceparent: `00-${TRACE}-${PARENT}-01` });
    expect(a).toBe(t.startCheck({}));
    expect(a.traceId).toBeNull();
    const c = a.child('parse');
    expect(c).toBe(a.child('evaluate'));
    c.setAttributes({ x: 1 });
    c();
    c.end();
    a.end({ decision: 'deny' });
    await t.forceFlush();
    await t.shutdown();
  });
});

describe('tracing to an OTLP/HTTP receiver', () => {
  let rx: Awaited<ReturnType<typeof startReceiver>>;
  let tracing: Tracing | undefined;
  beforeAll(async () => {
    rx = await startReceiver();
  });
  afterEach(async () => {
    await tracing?.shutdown();
    tracing = undefined;
    rx.posts.length = 0;
  });
  afterAll(async () => {
    await new Promise((r) => rx.server.close(r));
  });
  const jsonTracing = () =>
    createTracing({
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${rx.url}/v1/traces`,
      OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/json',
      OTEL_SERVICE_NAME: 'authz-test',
      OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment=test',
    });

  it('continues the forwarded traceparent, with child spans under the check span', async () => {
    tracing = await jsonTracing();
    expect(tracing.enabled).toBe(true);
    const span = tracing.startCheck({ traceparent: `00-${TRACE}-${PARENT}-01`, tracestate: 'vendor=abc' });
    expect(span.traceId).toBe(TRACE);
    span.child('parse')();
    const cache = span.child('cache');
    const evaluate = span.child('evaluate');
    evaluate.setAttributes({ 'authz.cache': 'miss' });
    evaluate.end();
    cache.end();
    cache.end(); // ending twice is harmless
    span.setAttributes({ 'mcp.session.id': 's-1' });
    span.end({
      decision: 'deny',
      rule: 'url_not_allowed',
      revision: 'rev-7',
      mcpMethod: 'tools/call',
      tool: 'fetch_url',
      reasonCode: 'policy_denied',
      error: 'policy_denied: url_not_allowed',
    });
    span.end({ decision: 'allow' }); // ignored
    await tracing.forceFlush();

    expect(rx.posts.every((p) => String(p.headers['content-type']).startsWith('application/json'))).toBe(true);
    const { spans, resource } = spansOf(rx.posts);
    expect(resource).toMatchObject({ 'service.name': 'authz-test', 'deployment.environment': 'test' });
    expect(spans.map((s) => s.name).sort()).toEqual(['cache', 'evaluate', 'ext_authz.check', 'parse']);
    const check = spans.find((s) => s.name === 'ext_authz.check')!;
    expect(check.traceId).toBe(TRACE);
    expect(check.parentSpanId).toBe(PARENT);
    expect(check.kind).toBe(SPAN_KIND_SERVER);
    for (const s of spans.filter((x) => x !== check)) {
      expect(s.traceId).toBe(TRACE);
      expect(s.parentSpanId, s.name).toBe(check.spanId);
    }
    expect(attrs(check.attributes)).toEqual({
      'mcp.session.id': 's-1',
      'authz.decision': 'deny',
      'authz.rule': 'url_not_allowed',
      'authz.policy.revision': 'rev-7',
      'authz.reason_code': 'policy_denied',
      'mcp.method': 'tools/call',
      'mcp.method.name': 'tools/call',
      'mcp.tool.name': 'fetch_url',
      'gen_ai.tool.name': 'fetch_url',
      'authz.denial': 'policy_denied: url_not_allowed',
    });
    // A deny leaves the status unset: it is the server working as intended, not an error.
    expect(check.status?.code ?? 0).toBe(0);
    expect(attrs(spans.find((s) => s.name === 'evaluate')!.attributes)).toEqual({ 'authz.cache': 'miss' });
  });

  it.each([
    ['single b3 header', { b3: '80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-1' }, '80f198ee56343ba864fe8b2a57d3eff7', 'e457b5a2e4d86bd1'],
    [
      'x-b3-* headers',
      { 'x-b3-traceid': '463ac35c9f6413ad48485a3953bb6124', 'x-b3-spanid': 'a2fb4a1d1a96d312', 'x-b3-sampled': '1' },
      '463ac35c9f6413ad48485a3953bb6124',
      'a2fb4a1d1a96d312',
    ],
    ['traceparent over b3', { traceparent: `00-${TRACE}-${PARENT}-01`, b3: '80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-1' }, TRACE, PARENT],
  ])('continues a trace from %s', async (_name, headers, traceId, parentId) => {
    tracing = await jsonTracing();
    const span = tracing.startCheck(headers);
    expect(span.traceId).toBe(traceId);
    span.child('evaluate')();
    span.end({ decision: 'allow', revision: 'rev-1' });
    await tracing.forceFlush();
    const { spans } = spansOf(rx.posts);
    const check = spans.find((s) => s.name === 'ext_authz.check')!;
    expect(check.traceId).toBe(traceId);
    expect(check.parentSpanId).toBe(parentId);
    expect(spans.find((s) => s.name === 'evaluate')!.parentSpanId).toBe(check.spanId);
    expect(check.status?.code ?? 0).not.toBe(STATUS_ERROR);
  });

  it('starts a new trace without forwarded headers; only an error (not a deny) is a span error', async () => {
    tracing = await jsonTracing();
    const results = [
      { decision: 'allow' },
      { decision: 'require_approval', error: 'approval_required: big_refund' },
      { decision: 'error', reasonCode: 'policy_eval_error', error: 'policy_eval_error' },
      { decision: 'deny' },
    ];
    const ids = results.map((r) => {
      const s = tracing!.startCheck({ traceparent: 'garbage' });
      s.end(r);
      return s.traceId;
    });
    await tracing.forceFlush();
    const { spans } = spansOf(rx.posts);
    expect(new Set(ids).size).toBe(results.length);
    for (const [i, r] of results.entries()) {
      const s = spans.find((x) => x.traceId === ids[i])!;
      expect(s.parentSpanId ?? '').toBe('');
      const isError = r.decision === 'error';
      expect(s.status?.code ?? 0, r.decision).toBe(isError ? STATUS_ERROR : 0);
      if (isError) expect(s.status?.message).toBe(r.error ?? r.decision);
    }
  });

  it('never rejects forceFlush or shutdown when the collector refuses the spans', async () => {
    const refusing = createServer((req, res) => {
      req.resume();
      req.on('end', () => res.writeHead(400).end('no'));
    });
    await new Promise<void>((resolve) => refusing.listen(0, '127.0.0.1', resolve));
    try {
      const t = await createTracing({
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `http://127.0.0.1:${(refusing.address() as AddressInfo).port}/v1/traces`,
        OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/json',
      });
      t.startCheck({}).end({ decision: 'deny' });
      await expect(t.forceFlush()).resolves.toBeUndefined();
      t.startCheck({}).end({ decision: 'allow' });
      await expect(t.shutdown()).resolves.toBeUndefined();
    } finally {
      await new Promise((r) => refusing.close(r));
    }
  });

  it('exports OTLP/protobuf by default', async () => {
    tracing = await createTracing({ OTEL_EXPORTER_OTLP_ENDPOINT: rx.url });
    expect(tracing.config?.protocol).toBe('http/protobuf');
    const span = tracing.startCheck({ traceparent: `00-${TRACE}-${PARENT}-01` });
    span.end({ decision: 'allow', tool: 'lookup_order' });
    await tracing.forceFlush();
    expect(rx.posts.length).toBeGreaterThan(0);
    const body = Buffer.concat(rx.posts.map((p) => p.body));
    expect(rx.posts[0]!.headers['content-type']).toBe('application/x-protobuf');
    expect(body.includes(Buffer.from(TRACE, 'hex'))).toBe(true); // ids are raw bytes in protobuf
    expect(body.includes(Buffer.from(PARENT, 'hex'))).toBe(true);
    expect(body.includes(Buffer.from('lookup_order'))).toBe(true);
  });
});
