import { describe, expect, it } from 'vitest';
import { validateDecision } from '../../../src/check/decision.js';
import { toCheckResponse } from '../../../src/check/response.js';

const limits = { maxHeaderBytes: 2048, maxBodyBytes: 4096, maxMetadataBytes: 2048 };
const opts = { validHttpStatus: new Set([200, 201, 204, 302, 400, 403, 500]), defaultDenyStatus: 403, defaultApprovalStatus: 403, limits };

const code = (raw: unknown): string => {
  const r = validateDecision(raw, opts);
  return r.ok ? 'ok' : r.code;
};

describe('every string a decision puts on the wire is validated', () => {
  it.each([
    ['CR in a query value', { q: 'a\rb' }],
    ['LF in a query value', { q: 'a\nb' }],
    ['& in a query value', { q: 'a&admin=1' }],
    ['# in a query value', { q: 'a#frag' }],
    ['a space in a query value', { q: 'a b' }],
    ['& in a query key', { 'a&b': 'v' }],
    ['= in a query key', { 'a=b': 'v' }],
    ['CRLF in a query key', { 'a\r\nb': 'v' }],
    ['an empty query key', { '': 'v' }],
    ['& in one of several values', { q: ['ok', 'x&y=1'] }],
  ])('query_parameters_to_set: %s → decision_invalid', (_name, params) => {
    expect(code({ allowed: true, query_parameters_to_set: params })).toBe('decision_invalid');
  });

  it('query parameters that are percent-encoded go out unchanged', () => {
    const r = validateDecision(
      { allowed: true, query_parameters_to_set: { 'user%20id': 'a%26b', tag: ['x=1', 'a/b?c'] }, query_parameters_to_remove: ['token'] },
      opts,
    );
    expect(r.ok).toBe(true);
    if (r.ok)
      expect(r.decision.queryParametersToSet).toEqual([
        { key: 'user%20id', value: 'a%26b' },
        { key: 'tag', value: 'x=1' },
        { key: 'tag', value: 'a/b?c' },
      ]);
  });

  it('query_parameters_to_remove names are checked too', () => {
    expect(code({ allowed: true, query_parameters_to_remove: ['a&b'] })).toBe('decision_invalid');
  });

  it.each([
    ['NUL', 'a\u0000b'],
    ['DEL', 'a\u007fb'],
    ['C1 NEL (U+0085)', 'a\u0085b'],
    ['C1 CSI (U+009B)', 'a\u009bb'],
    ['U+2028', 'a\u2028b'],
    ['U+2029', 'a\u2029b'],
    ['a lone surrogate', 'a\ud800b'],
    ['vertical tab', 'a\u000bb'],
  ])('header values with %s → decision_invalid, on allow and deny, in every header list', (_name, value) => {
    expect(code({ allowed: true, headers: { 'x-a': value } })).toBe('decision_invalid');
    expect(code({ allowed: true, response_headers_to_add: { 'x-a': value } })).toBe('decision_invalid');
    expect(code({ allowed: false, headers: { 'x-a': value } })).toBe('decision_invalid');
  });

  it('non-ASCII text, tabs and astral characters in header values are fine', () => {
    expect(code({ allowed: true, headers: { 'x-a': 'café\tß 😀 ok' } })).toBe('ok');
  });

  it('a rule with control characters or longer than 256 bytes is refused', () => {
    expect(code({ allowed: false, rule: 'a\nb' })).toBe('decision_invalid');
    expect(code({ allowed: false, rule: 'a\u0085' })).toBe('decision_invalid');
    expect(code({ allowed: false, rule: 'r'.repeat(257) })).toBe('decision_too_large');
  });

  it('lone surrogates in body, message and dynamic_metadata are refused', () => {
    expect(code({ allowed: false, body: 'x\udc00' })).toBe('decision_invalid');
    expect(code({ allowed: false, message: 'x\ud800' })).toBe('decision_invalid');
    expect(code({ allowed: true, dynamic_metadata: { a: ['ok', 'x\ud800'] } })).toBe('decision_invalid');
    expect(code({ allowed: true, dynamic_metadata: { 'k\udfff': 1 } })).toBe('decision_invalid');
  });
});

describe('size bounds', () => {
  it('injected headers beyond decision.max_header_bytes → decision_too_large', () => {
    expect(code({ allowed: true, headers: { 'x-big': 'v'.repeat(2100) } })).toBe('decision_too_large');
    // The bound covers all headers together, not each one.
    const many = Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`x-h${i}`, 'v'.repeat(80)]));
    expect(code({ allowed: true, headers: many })).toBe('decision_too_large');
    expect(code({ allowed: true, query_parameters_to_set: { q: 'v'.repeat(2100) } })).toBe('decision_too_large');
    expect(code({ allowed: true, headers: { 'x-ok': 'v'.repeat(1000) } })).toBe('ok');
  });

  it('a denial body beyond decision.max_body_bytes → decision_too_large, whether given or built from the message', () => {
    expect(code({ allowed: false, body: 'b'.repeat(4097) })).toBe('decision_too_large');
    expect(code({ allowed: false, message: 'm'.repeat(4097) })).toBe('decision_too_large');
    expect(code({ allowed: false, body: 'b'.repeat(4000) })).toBe('ok');
  });

  it('dynamic_metadata beyond decision.max_metadata_bytes or nested too deep is refused', () => {
    expect(code({ allowed: true, dynamic_metadata: { a: 'x'.repeat(3000) } })).toBe('decision_too_large');
    let deep: unknown = 1;
    for (let i = 0; i < 40; i++) deep = { d: deep };
    expect(code({ allowed: true, dynamic_metadata: deep })).toBe('decision_invalid');
  });

  it('the default limits stay well under the 4 MiB gRPC message limit', async () => {
    const { DEFAULT_DECISION_LIMITS } = await import('../../../src/check/decision.js');
    const total = DEFAULT_DECISION_LIMITS.maxBodyBytes + DEFAULT_DECISION_LIMITS.maxHeaderBytes + DEFAULT_DECISION_LIMITS.maxMetadataBytes;
    expect(total).toBeLessThan(512 * 1024);
  });
});

describe('a denial never reads as success', () => {
  it.each([200, 201, 204])('http_status %i on a denial → decision_invalid', (status) => {
    expect(code({ allowed: false, http_status: status })).toBe('decision_invalid');
    expect(code({ allowed: false, http_status: status, body: 'ok' })).toBe('decision_invalid');
    expect(code({ allowed: false, decision: 'require_approval', http_status: status })).toBe('decision_invalid');
  });

  it('200 is accepted only with a JSON-RPC error body (what MCP clients read)', () => {
    const err = JSON.stringify({ jsonrpc: '2.0', id: 1, error: { code: -32001, message: 'denied' } });
    expect(code({ allowed: false, http_status: 200, body: err })).toBe('ok');
    expect(code({ allowed: false, http_status: 200, body: `[${err},${err}]` })).toBe('ok');
    expect(code({ allowed: false, http_status: 200, body: JSON.stringify({ jsonrpc: '2.0', id: 1, result: {} }) })).toBe('decision_invalid');
    expect(code({ allowed: false, http_status: 200, body: JSON.stringify({ jsonrpc: '2.0', id: 1, error: {}, result: {} }) })).toBe(
      'decision_invalid',
    );
    expect(code({ allowed: false, http_status: 200, body: '[]' })).toBe('decision_invalid');
  });

  it('a redirect (3xx) remains a valid denial, and the status reaches the CheckResponse', () => {
    const r = validateDecision({ allowed: false, http_status: 302, headers: { location: 'https://login.example.com/' } }, opts);
    expect(r.ok).toBe(true);
    if (r.ok) expect(toCheckResponse(r.decision, { managedHeaders: [] }).denied_response?.status.code).toBe(302);
  });
});

describe('problem messages stay short', () => {
  it('a hostile 100 kB key is quoted clipped', () => {
    const r = validateDecision({ allowed: true, query_parameters_to_set: { ['&'.repeat(100_000)]: 'v' } }, opts);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.message.length).toBeLessThan(600);
  });
});
