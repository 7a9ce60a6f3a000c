// The decision cache's key includes by default (issue 19 §4): two requests whose policy inputs differ, apart from
// the documented per-request fields (src/cache/volatile-fields.ts), never share a key, whatever the representation
// (compat mode, parsed_body null, a body the server did not parse, the raw body left out of the input).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createDecisionCache } from '../../../src/cache/decision-cache.js';
import { DEFAULT_VOLATILE_HEADERS, DEFAULT_VOLATILE_PATHS } from '../../../src/cache/volatile-fields.js';
import { buildInput, type CheckRequestWire, decodeRequest } from '../../../src/check/request.js';
import { DEFAULT_LIMITS } from '../../helpers/pipeline.js';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

const message = fc.record({
  jsonrpc: fc.constantFrom('2.0', '2.0', '1.0'),
  id: fc.constantFrom<Json>(1, 2, '1', null),
  method: fc.constantFrom('tools/call', 'tools/list', 'ping'),
  params: fc.record({
    name: fc.constantFrom('fetch_url', 'http_proxy', 'Fetch_Url'),
    arguments: fc.dictionary(
      fc.constantFrom('url', 'URL', 'amount', 'body'),
      fc.constantFrom<Json>('https://httpbin.org/get', 'http://169.254.169.254/', 50000, '50000', 50000.5, 'amount=50000&x=1', '{"a":1}', null),
      { maxKeys: 3 },
    ),
  }),
});

/** A body: a message spelled compactly or with whitespace, a batch, or bytes that are not JSON-RPC at all. */
const body = fc.oneof(
  message.map((m) => JSON.stringify(m)),
  message.map((m) => JSON.stringify(m, null, 1)),
  fc.tuple(message, message).map((b) => JSON.stringify(b)),
  fc.constantFrom(
    '',
    'a=1&b=2',
    'amount=50000',
    '{"method":',
    '{"jsonrpc":"2.0","method":"ping"} x',
    '\ufeff{"jsonrpc":"2.0","method":"ping","id":1}',
  ),
);

const request: fc.Arbitrary<Req> = fc.record({
  method: fc.constantFrom('POST', 'POST', 'GET', 'DELETE'),
  path: fc.constantFrom('/mcp', '/mcp?tenant=a', '/mcp?tenant=b', '/sse'),
  contentType: fc.constantFrom<string | undefined>(
    'application/json',
    'application/json; charset=utf-8',
    'application/vnd.api+json',
    'application/x-www-form-urlencoded',
    'text/plain',
    undefined,
  ),
  headers: fc.dictionary(
    fc.constantFrom('mcp-session-id', 'authorization', 'x-request-id', 'traceparent', 'mcp-protocol-version', 'x-tenant', 'upgrade'),
    fc.constantFrom('a', 'b', '2026-07-28', 'websocket'),
    { maxKeys: 3 },
  ),
  body,
  principal: fc.constantFrom<string | undefined>('spiffe://cluster.local/ns/agents/sa/a', 'spiffe://cluster.local/ns/agents/sa/b', undefined),
  port: fc.constantFrom(40000, 40001),
  time: fc.constantFrom('1735689600', '1735689601'),
});
interface Req {
  method: string;
  path: string;
  contentType: string | undefined;
  headers: Record<string, string>;
  body: string;
  principal: string | undefined;
  port: number;
  time: string;
}

function wire(r: Req): CheckRequestWire {
  const headers: Record<string, string> = { ...r.headers };
  if (r.contentType !== undefined) headers['content-type'] = r.contentType;
  return {
    attributes: {
      source: { address: { socket_address: { address: '10.0.0.1', port_value: r.port } }, ...(r.principal ? { principal: r.principal } : {}) },
      request: {
        time: { seconds: r.time, nanos: 0 },
        http: { id: String(r.port), method: r.method, path: r.path, host: 'mcp', protocol: 'HTTP/1.1', headers, body: r.body },
      },
    },
  } as CheckRequestWire;
}

const deleteAt = (doc: Record<string, unknown>, path: readonly string[]): void => {
  let at: unknown = doc;
  for (const k of path.slice(0, -1)) {
    if (at === null || typeof at !== 'object') return;
    at = (at as Record<string, unknown>)[k];
  }
  if (at !== null && typeof at === 'object') delete (at as Record<string, unknown>)[path[path.length - 1]!];
};

/**
 * The policy input minus what the documentation says a key may leave out: the volatile headers and paths always;
 * when the body parsed as a whole JSON-RPC message, the raw body text, its size and content-length, and the
 * JSON-RPC ids (the pipeline puts the current ids back). Everything else must be equal for two keys to be equal.
 */
function comparable(input: Record<string, unknown>): Record<string, unknown> {
  const doc = structuredClone(input);
  const mcp = doc.mcp as { error?: unknown; id?: unknown; batch?: { id?: unknown }[] } | undefined;
  const parsed = doc.parsed_body !== undefined && doc.parsed_body !== null && doc.truncated_body !== true && mcp?.error === undefined;
  for (const p of DEFAULT_VOLATILE_PATHS) deleteAt(doc, p);
  const headers = ((doc.attributes as Record<string, any>)?.request?.http?.headers ?? {}) as Record<string, unknown>;
  for (const h of DEFAULT_VOLATILE_HEADERS) delete headers[h];
  if (parsed) {
    delete headers['content-length'];
    for (const p of [
      ['attributes', 'request', 'http', 'body'],
      ['attributes', 'request', 'http', 'rawBody'],
      ['attributes', 'request', 'http', 'size'],
    ])
      deleteAt(doc, p);
    const pb = doc.parsed_body as Record<string, unknown> | Record<string, unknown>[];
    for (const m of Array.isArray(pb) ? pb : [pb]) if (m && typeof m === 'object') delete m.id;
    if (mcp) {
      delete mcp.id;
      for (const m of mcp.batch ?? []) delete m.id;
    }
  }
  return doc;
}

/** The same request again, differing only in fields the key may leave out: JSON-RPC ids, whitespace, trace headers, time, port. */
function twin(r: Req, id: Json): Req {
  let b = r.body;
  try {
    const v = JSON.parse(b) as Json;
    const setId = (m: Json) => (m && typeof m === 'object' && !Array.isArray(m) ? { ...m, id } : m);
    b = JSON.stringify(Array.isArray(v) ? v.map(setId) : setId(v), null, 2);
  } catch {
    // not JSON: the same bytes
  }
  return {
    ...r,
    body: b,
    port: r.port + 1,
    time: String(Number(r.time) + 7),
    headers: { ...r.headers, 'x-request-id': 'other', traceparent: 'other' },
  };
}

/** The same request with one field a policy can read changed: its key must differ. */
const nearTwin = (r: Req, k: number): Req =>
  k === 0
    ? { ...r, path: `${r.path}${r.path.includes('?') ? '&' : '?'}x=1` }
    : k === 1
      ? { ...r, headers: { ...r.headers, 'x-tenant': `${r.headers['x-tenant'] ?? ''}z` } }
      : k === 2
        ? { ...r, principal: `${r.principal ?? 'spiffe://x'}/z` }
        : { ...r, body: r.body.replace('fetch_url', 'fetch_urL') };

describe('the decision cache key includes by default', () => {
  const settings = fc.record({ opaEnvoy: fc.boolean(), rawBody: fc.constantFrom<'always' | 'unparsed'>('always', 'unparsed') });

  it('two requests share a key only when their inputs are equal apart from the documented per-request fields', () => {
    const cache = createDecisionCache<object>({ maxEntries: 10, maxBytes: 1 << 20, ttlMs: 60_000, sizeOf: () => 1 });
    const policy = { revision: 'r', sha256: 's' };
    let shared = 0;
    fc.assert(
      fc.property(
        settings,
        fc.array(request, { minLength: 2, maxLength: 8 }),
        fc.constantFrom<Json>(7, 'seven', null),
        fc.nat(3),
        (opts, base, id, k) => {
          const seen = new Map<string, Record<string, unknown>>();
          for (const r of base.flatMap((b) => [b, twin(b, id), nearTwin(b, k)])) {
            const w = wire(r);
            const input = buildInput(w, decodeRequest(w), DEFAULT_LIMITS, opts).input as unknown as Record<string, unknown>;
            const k = cache.key(policy, input as never);
            const view = comparable(input);
            const before = seen.get(k);
            if (before === undefined) seen.set(k, view);
            else {
              shared++;
              expect(view).toEqual(before);
            }
          }
        },
      ),
      { numRuns: 3000, seed: 20261207 },
    );
    // Not vacuous: requests that differ only in per-request fields (ids, whitespace, trace headers) did share keys.
    expect(shared).toBeGreaterThan(100);
  });

  it('a body the server leaves unparsed stays in the key (compat mode, +json: parsed_body null)', () => {
    const cache = createDecisionCache<object>({ maxEntries: 10, maxBytes: 1 << 20, ttlMs: 60_000, sizeOf: () => 1 });
    const policy = { revision: 'r', sha256: 's' };
    const keyOf = (b: string) => {
      const w = wire({
        method: 'POST',
        path: '/mcp',
        contentType: 'application/vnd.api+json',
        headers: {},
        body: b,
        principal: undefined,
        port: 1,
        time: '1',
      });
      return cache.key(policy, buildInput(w, decodeRequest(w), DEFAULT_LIMITS, { opaEnvoy: true }).input as never);
    };
    expect(keyOf('{"method":"tools/call","params":{"name":"a"}}')).not.toBe(keyOf('{"method":"tools/call","params":{"name":"b"}}'));
  });
});
