import { describe, expect, it } from 'vitest';
import { buildInput, decodeRequest, parsePathAndQuery } from '../../../src/check/request.js';
import { DEFAULT_LIMITS, inputOf } from '../../helpers/pipeline.js';

const call = { jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'fetch_url', arguments: { url: 'https://httpbin.org/get' } } };

function req(http: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  return { attributes: { request: { http: { method: 'POST', path: '/mcp', headers: { 'content-type': 'application/json' }, ...http } }, ...extra } };
}

describe('inputOf', () => {
  it('builds the OPA Envoy plugin shape plus input.mcp', () => {
    const body = JSON.stringify(call);
    const { input } = inputOf(
      req(
        {
          body,
          headers: { 'content-type': 'application/json', 'mcp-session-id': 's-1', 'mcp-protocol-version': '2025-06-18' },
          host: 'mcp.example',
          path: '/mcp?x=1&x=2&y',
        },
        {
          source: { principal: 'spiffe://cluster.local/ns/agents/sa/bot', address: { socket_address: { address: '10.0.0.1', port_value: 4711 } } },
          context_extensions: { some_key: 'v' },
        },
      ),
      DEFAULT_LIMITS,
    );
    expect(input.version).toEqual({ encoding: 'protojson', ext_authz: 'v3' });
    expect(input.parsed_path).toEqual(['mcp']);
    expect(input.parsed_query).toEqual({ x: ['1', '2'], y: [''] });
    expect(input.parsed_body).toEqual(call);
    expect(input.truncated_body).toBe(false);
    expect(input.source_principal).toBe('spiffe://cluster.local/ns/agents/sa/bot');
    // protojson names: lowerCamelCase fields, map keys verbatim
    expect(input.attributes).toMatchObject({
      source: { address: { socketAddress: { address: '10.0.0.1', portValue: 4711 } } },
      contextExtensions: { some_key: 'v' },
      request: { http: { method: 'POST', host: 'mcp.example', headers: { 'mcp-session-id': 's-1' } } },
    });
    expect(input.mcp).toMatchObject({
      method: 'tools/call',
      id: 2,
      tool: 'fetch_url',
      arguments: { url: 'https://httpbin.org/get' },
      session_id: 's-1',
      protocol_version: '2025-06-18',
      is_batch: false,
      is_notification: false,
    });
  });

  it('reads raw_body when the gateway packs the body as bytes, base64 in attributes', () => {
    const raw = Buffer.from(JSON.stringify(call));
    const { input } = inputOf(req({ raw_body: raw }), DEFAULT_LIMITS);
    expect(input.mcp?.tool).toBe('fetch_url');
    expect((input.attributes as any).request.http.rawBody).toBe(raw.toString('base64'));
  });

  it('raw_in_input unparsed: the raw body leaves the input only when it parsed (parsed_body and input.mcp carry it)', () => {
    const unparsed = (r: ReturnType<typeof req>) => buildInput(r, decodeRequest(r), DEFAULT_LIMITS, { rawBody: 'unparsed' }).input;
    const text = unparsed(req({ body: JSON.stringify(call) }));
    expect((text.attributes as any).request.http).not.toHaveProperty('body');
    expect(text.parsed_body).toEqual(call);
    const bytes = unparsed(req({ raw_body: Buffer.from(JSON.stringify(call)) }));
    expect((bytes.attributes as any).request.http).not.toHaveProperty('rawBody');
    expect(bytes.mcp?.tool).toBe('fetch_url');
    // Not JSON-RPC, or not JSON: the policy still sees the bytes.
    expect((unparsed(req({ body: '{"jsonrpc":"1.0"}' })).attributes as any).request.http.body).toBe('{"jsonrpc":"1.0"}');
    expect((unparsed(req({ body: '{"a":' })).attributes as any).request.http.body).toBe('{"a":');
    // The default keeps it, as OPA's Envoy plugin does.
    expect((inputOf(req({ body: JSON.stringify(call) }), DEFAULT_LIMITS).input.attributes as any).request.http.body).toBe(JSON.stringify(call));
  });

  it('reports invalid UTF-8 in raw bytes instead of replacing it', () => {
    const raw = Buffer.concat([Buffer.from('{"jsonrpc":"2.0","id":1,"method":"ping","x":"'), Buffer.from([0xc3, 0x28]), Buffer.from('"}')]);
    const { input } = inputOf(req({ raw_body: raw }), DEFAULT_LIMITS);
    expect(input.mcp?.error?.code).toBe('body_invalid_utf8');
    expect(input.parsed_body).toBeUndefined();
  });

  it('never trusts a partial body (x-envoy-auth-partial-body: true)', () => {
    const body = JSON.stringify(call);
    const { input } = inputOf(req({ body, headers: { 'content-type': 'application/json', 'x-envoy-auth-partial-body': 'true' } }), DEFAULT_LIMITS);
    expect(input.truncated_body).toBe(true);
    expect(input.parsed_body).toBeUndefined();
    expect(input.mcp?.error?.code).toBe('body_truncated');
    expect(input.mcp?.tool).toBeUndefined();
  });

  it('treats a body shorter than its content-length as truncated', () => {
    const body = JSON.stringify(call);
    const { input } = inputOf(
      req({ body, headers: { 'content-type': 'application/json', 'content-length': String(body.length + 10) } }),
      DEFAULT_LIMITS,
    );
    expect(input.truncated_body).toBe(true);
  });

  it('rejects bodies over the size limit without parsing them', () => {
    const body = JSON.stringify({ ...call, params: { name: 'x', arguments: { blob: 'a'.repeat(2000) } } });
    const { input } = inputOf(req({ body }), { ...DEFAULT_LIMITS, maxBytes: 1000 });
    expect(input.mcp?.error?.code).toBe('body_too_large');
    expect(input.parsed_body).toBeUndefined();
  });

  it('folds header_map into headers when Envoy sends only header_map', () => {
    const { headers, input } = inputOf(
      req({
        headers: undefined,
        header_map: {
          headers: [
            { key: 'Content-Type', value: 'application/json' },
            { key: 'x-a', raw_value: Buffer.from('1') },
            { key: 'x-a', value: '2' },
          ],
        },
        body: JSON.stringify(call),
      }),
      DEFAULT_LIMITS,
    );
    expect(headers).toEqual({ 'content-type': 'application/json', 'x-a': '1,2' });
    expect((input.attributes as any).request.http.headers['x-a']).toBe('1,2');
    expect(input.mcp?.tool).toBe('fetch_url');
  });

  it('leaves GET requests without a body unparsed', () => {
    const { input } = inputOf(req({ method: 'GET', headers: { 'mcp-session-id': 'abc' } }), DEFAULT_LIMITS);
    expect(input.mcp).toEqual({ is_batch: false, session_id: 'abc' });
    expect(input.parsed_body).toBeUndefined();
  });

  it('converts metadata Structs and the request time to protojson', () => {
    const { input } = inputOf(
      {
        attributes: {
          request: { time: { seconds: '1700000000', nanos: 5000000 }, http: { method: 'GET', path: '/' } },
          metadata_context: {
            filter_metadata: {
              'envoy.filters.http.jwt_authn': {
                fields: { sub: { stringValue: 'u1' }, n: { numberValue: 3 }, l: { listValue: { values: [{ boolValue: true }] } } },
              },
            },
          },
        },
      },
      DEFAULT_LIMITS,
    );
    expect((input.attributes as any).request.time).toBe('2023-11-14T22:13:20.005Z');
    expect((input.attributes as any).metadataContext.filterMetadata['envoy.filters.http.jwt_authn']).toEqual({ sub: 'u1', n: 3, l: [true] });
  });
});

describe('parsePathAndQuery', () => {
  it('matches OPA Envoy plugin semantics', () => {
    expect(parsePathAndQuery('/')).toEqual({ parsedPath: [''], parsedQuery: {} });
    expect(parsePathAndQuery('/a/b%20c/d?q=1+2&r=%2F#frag')).toEqual({ parsedPath: ['a', 'b c', 'd'], parsedQuery: { q: ['1 2'], r: ['/'] } });
    expect(parsePathAndQuery('/bad%zz')).toEqual({ parsedPath: ['bad%zz'], parsedQuery: {} });
  });
});
