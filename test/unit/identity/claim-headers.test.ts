import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { claimHeaders, headersToStrip, sanitizeHeaderValue } from '../../../src/identity/claim-headers.js';
import { claimAt } from '../../../src/identity/claims.js';
import type { Identity } from '../../../src/identity/resolve.js';
import { config } from './helpers.js';

const verified = (claims: Record<string, unknown>): Identity => ({
  verified: true,
  user: { sub: 'u', iss: 'i', aud: 'a', exp: 1, claims, source: 'authorization_header' },
  roles: [],
  scopes: [],
});
const map = (...pairs: [string, string][]) => pairs.map(([claim, header]) => ({ claim, header }));
/** What an HTTP/1 or HTTP/2 header value may hold without breaking framing. */
const SAFE_VALUE = /^[^\u0000-\u001f\u007f-\u009f\u2028\u2029]*$/;

describe('claim headers', () => {
  it('maps verified claims to lower-case headers (the Omnia scenario: team and customer_id)', () => {
    const id = verified({ team: 'billing', customer_id: 'c-9' });
    expect(claimHeaders(id, map(['team', 'X-Authz-Claim-Team'], ['customer_id', 'X-Authz-Claim-Customer-Id']), 256)).toEqual([
      { key: 'x-authz-claim-team', value: 'billing' },
      { key: 'x-authz-claim-customer-id', value: 'c-9' },
    ]);
  });

  it('adds nothing for an unverified identity, whatever its claims', () => {
    const unverified = { ...verified({ team: 'billing' }), verified: false, error: { code: 'token_expired' as const, message: 'expired' } };
    expect(claimHeaders(unverified, map(['team', 'x-team']), 256)).toEqual([]);
    expect(claimHeaders({ verified: false, roles: [], scopes: [] }, map(['team', 'x-team']), 256)).toEqual([]);
  });

  it.each([
    ['CR LF header injection', 'billing\r\nx-admin: true', 'billingx-admin: true'],
    ['bare LF', 'a\nb', 'ab'],
    ['bare CR', 'a\rb', 'ab'],
    ['NUL', 'a\u0000b', 'ab'],
    ['TAB and other C0', '\ta\u0001\u001fb\t', 'ab'],
    ['DEL and C1 (NEL)', 'a\u007fb\u0085c', 'abc'],
    ['Unicode line and paragraph separators', 'a\u2028b\u2029c', 'abc'],
    ['response splitting with HTTP/1.1', 'x\r\n\r\nHTTP/1.1 200 OK\r\n', 'xHTTP/1.1 200 OK'],
    ['surrounding spaces', '  ops  ', 'ops'],
    ['lone surrogate', 'a\ud800b', 'a\ufffdb'],
    ['non-ASCII is kept', 'Zürich 🏔', 'Zürich 🏔'],
  ])('sanitises %s', (_name, input, expected) => {
    const [h] = claimHeaders(verified({ team: input }), map(['team', 'x-team']), 256);
    expect(h?.value).toBe(expected);
    expect(h?.value).toMatch(SAFE_VALUE);
  });

  it('drops a header whose value is empty once sanitised', () => {
    expect(claimHeaders(verified({ team: '\r\n\t ' }), map(['team', 'x-team']), 256)).toEqual([]);
  });

  it('cuts scalars at the maximum length in code points, never inside a character', () => {
    const [h] = claimHeaders(verified({ team: 'a'.repeat(300) }), map(['team', 'x-team']), 256);
    expect(h?.value).toBe('a'.repeat(256));
    const [emoji] = claimHeaders(verified({ team: '🏔'.repeat(10) }), map(['team', 'x-team']), 3);
    expect(emoji?.value).toBe('🏔🏔🏔');
  });

  it('converts scalars; joins arrays with ","; skips objects, null, and array elements that are ambiguous or do not fit', () => {
    const id = verified({ n: 42, f: 1.5, b: false, arr: ['eng', 7, true, null, { x: 1 }, ['n'], 'a,admin', 'ops\r\n'], obj: { team: 'x' }, nil: null, inf: 1e400, big: ['aaaa', 'bbbbbbbbbb', 'cc'] });
    const out = claimHeaders(id, map(['n', 'x-n'], ['f', 'x-f'], ['b', 'x-b'], ['arr', 'x-arr'], ['obj', 'x-obj'], ['nil', 'x-nil'], ['missing', 'x-missing'], ['inf', 'x-inf'], ['obj.team', 'x-obj-team']), 256);
    expect(out).toEqual([
      { key: 'x-n', value: '42' },
      { key: 'x-f', value: '1.5' },
      { key: 'x-b', value: 'false' },
      { key: 'x-arr', value: 'eng,7,true,ops' },
      { key: 'x-obj-team', value: 'x' },
    ]);
    // Whole elements only: "bbbbbbbbbb" does not fit in 8 after "aaaa", "cc" does.
    expect(claimHeaders(id, map(['big', 'x-big']), 8)).toEqual([{ key: 'x-big', value: 'aaaa,cc' }]);
  });

  it('looks claims up as own properties: exact names with dots first, then dotted paths, never the prototype', () => {
    const claims = JSON.parse('{"https://example.com/team": "web", "a": {"b": "nested"}, "__proto__": {"polluted": "yes"}}') as Record<string, unknown>;
    expect(claimAt(claims, 'https://example.com/team')).toBe('web');
    expect(claimAt(claims, 'a.b')).toBe('nested');
    expect(claimAt(claims, '__proto__.polluted')).toBe('yes'); // an own key from JSON, not Object.prototype
    expect(claimAt({}, 'constructor')).toBeUndefined();
    expect(claimAt({}, '__proto__')).toBeUndefined();
    expect(claimAt({ a: {} }, 'a.toString')).toBeUndefined();
    expect(claimHeaders(verified({}), map(['constructor.name', 'x-c']), 256)).toEqual([]);
  });

  it('never emits an unsafe or over-long value (property)', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.integer({ min: 1, max: 64 }), (v, max) => {
        for (const h of claimHeaders(verified({ c: v }), map(['c', 'x-c']), max)) {
          expect(h.value).toMatch(SAFE_VALUE);
          expect(h.value).not.toBe('');
          expect(Array.from(h.value).length).toBeLessThanOrEqual(max);
          expect(Buffer.from(h.value, 'utf8').toString('utf8')).toBe(h.value); // well-formed UTF-16
        }
      }),
      { numRuns: 300 },
    );
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (s) => {
        expect(sanitizeHeaderValue(s, 1000)).toMatch(SAFE_VALUE);
      }),
    );
  });
});

describe('headersToStrip', () => {
  it('lists every header the server may inject, lower-case, once', () => {
    const cfg = config({ claim_headers: map(['team', 'X-Authz-Claim-Team'], ['customer_id', 'X-Authz-Claim-Customer-Id']) });
    expect(headersToStrip(cfg)).toEqual(['x-authz-claim-customer-id', 'x-authz-claim-team']);
    expect(headersToStrip(config())).toEqual([]);
  });
});
