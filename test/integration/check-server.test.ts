import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpStatus } from '../helpers/grpc-client.js';
import { mcpCheckRequest, toolCall } from '../helpers/requests.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const OK = 0;
const PERMISSION_DENIED = 7;

interface Row {
  name: string;
  request: unknown;
  status: number;
  http?: number;
  body?: Record<string, unknown>;
  headers?: Record<string, string>;
}

const rows: Row[] = [
  // The mcp-gateway demo (rego/examples/mcp-gateway-demo).
  {
    name: 'fetch_url https://malicious.com → 403',
    request: mcpCheckRequest(toolCall('fetch_url', { url: 'https://malicious.com' })),
    status: PERMISSION_DENIED,
    http: 403,
    body: { error: 'policy_denied', rule: 'url_not_allowed', message: 'URL https://malicious.com is not in the approved list for tool fetch_url' },
  },
  {
    name: 'fetch_url https://httpbin.org/get → allowed',
    request: mcpCheckRequest(toolCall('fetch_url', { url: 'https://httpbin.org/get' })),
    status: OK,
    headers: { 'x-mcp-authz-decision': 'allow' },
  },
  {
    name: 'fetch_url IMDS → 403',
    request: mcpCheckRequest(toolCall('fetch_url', { url: 'http://169.254.169.254/latest/meta-data' })),
    status: PERMISSION_DENIED,
    http: 403,
    body: { error: 'policy_denied', rule: 'metadata_endpoint', message: 'tool fetch_url may not reach the cloud metadata service' },
  },
  {
    name: 'the same call packed as bytes (raw_body)',
    request: mcpCheckRequest(toolCall('fetch_url', { url: 'https://malicious.com' }), { rawBody: true }),
    status: PERMISSION_DENIED,
    http: 403,
  },
  {
    name: 'a batch hiding a bad call',
    request: mcpCheckRequest([
      toolCall('fetch_url', { url: 'https://httpbin.org/get' }, 1),
      toolCall('fetch_url', { url: 'https://malicious.com' }, 2),
    ]),
    status: PERMISSION_DENIED,
    http: 403,
  },
  {
    name: 'duplicate keys → 400 before evaluation',
    request: mcpCheckRequest(
      '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"fetch_url","arguments":{"url":"https://httpbin.org/get","url":"http://169.254.169.254/"}}}',
    ),
    status: PERMISSION_DENIED,
    http: 400,
    body: { error: 'invalid_request', code: 'body_duplicate_key' },
  },
  {
    name: 'malformed JSON → 400',
    request: mcpCheckRequest('{"jsonrpc":"2.0",'),
    status: PERMISSION_DENIED,
    http: 400,
    body: { error: 'invalid_request', code: 'body_invalid_json' },
  },
  {
    name: 'wrong jsonrpc version → 400',
    request: mcpCheckRequest({ jsonrpc: '1.0', id: 1, method: 'ping' }),
    status: PERMISSION_DENIED,
    http: 400,
    body: { code: 'jsonrpc_invalid_version' },
  },
  {
    name: 'null id → 400',
    request: mcpCheckRequest({ jsonrpc: '2.0', id: null, method: 'ping' }),
    status: PERMISSION_DENIED,
    http: 400,
    body: { code: 'jsonrpc_invalid_id' },
  },
  {
    name: 'partial body (x-envoy-auth-partial-body: true) → 413',
    request: mcpCheckRequest(toolCall('fetch_url', { url: 'https://httpbin.org/get' }), { headers: { 'x-envoy-auth-partial-body': 'true' } }),
    status: PERMISSION_DENIED,
    http: 413,
    body: { code: 'body_truncated' },
  },
  {
    name: 'deeply nested arguments → 400',
    request: mcpCheckRequest(
      `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"x","arguments":{"a":${'['.repeat(5000)}${']'.repeat(5000)}}}}`,
    ),
    status: PERMISSION_DENIED,
    http: 400,
    body: { code: 'body_too_deep' },
  },
  {
    name: 'invalid UTF-8 in raw bytes → 400',
    request: (() => {
      const r = mcpCheckRequest(toolCall('echo', { text: 'x' }), { rawBody: true }) as any;
      r.attributes.request.http.raw_body = Buffer.concat([
        Buffer.from('{"jsonrpc":"2.0","id":1,"method":"ping","x":"'),
        Buffer.from([0xff, 0xfe]),
        Buffer.from('"}'),
      ]);
      return r;
    })(),
    status: PERMISSION_DENIED,
    http: 400,
    body: { code: 'body_invalid_utf8' },
  },
  {
    name: 'text/plain body → 415',
    request: mcpCheckRequest(toolCall('echo', {}), { headers: { 'content-type': 'text/plain' } }),
    status: PERMISSION_DENIED,
    http: 415,
  },
  {
    name: 'initialize → allowed',
    request: mcpCheckRequest({
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2024-11-05', capabilities: {}, clientInfo: { name: 'demo', version: '1.0' } },
    }),
    status: OK,
  },
  {
    name: 'an empty CheckRequest (no attributes) is denied, not allowed',
    request: {},
    status: PERMISSION_DENIED,
  },
];

describe('ext_authz Check against a real server (default policy, real opa build output)', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server?.close();
  });

  it('reports SERVING once the policy is loaded', async () => {
    expect(await server.client.health()).toBe('SERVING');
    expect(await server.client.health('envoy.service.auth.v3.Authorization')).toBe('SERVING');
  });

  it.each(rows)('$name', async (row) => {
    const res = await server.client.check(row.request);
    expect(res.status?.code ?? 0).toBe(row.status);
    if (row.status === OK) {
      expect(res.denied_response).toBeFalsy();
      expect(res.ok_response).toBeTruthy();
      for (const [k, v] of Object.entries(row.headers ?? {})) {
        const h = res.ok_response.headers.find((x: any) => x.header.key === k);
        expect(h?.header.value).toBe(v);
        expect(h?.append_action).toBe('OVERWRITE_IF_EXISTS_OR_ADD');
      }
      return;
    }
    expect(res.ok_response).toBeFalsy();
    const denied = res.denied_response;
    if (row.http) expect(httpStatus(denied.status)).toBe(row.http);
    const ct = denied.headers.find((x: any) => x.header.key === 'content-type');
    expect(ct?.header.value).toBe('application/json');
    expect(ct?.append_action).toBe('OVERWRITE_IF_EXISTS_OR_ADD');
    const body = JSON.parse(denied.body);
    if (row.body) expect(body).toMatchObject(row.body);
    expect(typeof body.rule).toBe('string');
    expect(typeof body.message).toBe('string');
  });

  it('answers concurrent checks consistently', async () => {
    const good = mcpCheckRequest(toolCall('fetch_url', { url: 'https://httpbin.org/get' }));
    const bad = mcpCheckRequest(toolCall('fetch_url', { url: 'https://malicious.com' }));
    const results = await Promise.all(Array.from({ length: 200 }, (_, i) => server.client.check(i % 2 ? bad : good)));
    results.forEach((r, i) => {
      expect(r.status?.code ?? 0).toBe(i % 2 ? PERMISSION_DENIED : OK);
    });
  });
});
