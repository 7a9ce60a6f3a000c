import { describe, expect, it } from 'vitest';
import { createDecisionCache, type DecisionCacheOptions, type KeyDocument } from '../../../src/cache/decision-cache.js';

/**
 * The cache on its own: keys, bounds, expiry, bypasses. What the pipeline stores and how a hit is answered is
 * tested through the pipeline (test/unit/authz/pipeline.test.ts) and the real server.
 */
const policy = (overrides: Partial<{ revision: string; sha256: string; dataSha256: string; nondeterministic: boolean }> = {}) => ({
  revision: 'rev-1',
  sha256: 'a'.repeat(64),
  dataSha256: 'b'.repeat(64),
  nondeterministic: false,
  ...overrides,
});

/** An input document as the pipeline builds it before facts (body parsed, identity and minute set). */
const doc = (
  tool: string,
  opts: { requestId?: string; id?: number | string; rawBody?: string; parsed?: boolean; minute?: number; agent?: string } = {},
): KeyDocument => {
  const mcp: object =
    opts.parsed === false
      ? { is_batch: false, error: { code: 'body_invalid_json', message: 'x' } }
      : {
          method: 'tools/call',
          id: opts.id ?? 1,
          tool,
          params: { name: tool, arguments: {} },
          arguments: {},
          is_batch: false,
          is_notification: false,
          is_response: false,
        };
  const message = { jsonrpc: '2.0', id: opts.id ?? 1, method: 'tools/call', params: { name: tool, arguments: {} } };
  const body = opts.rawBody ?? JSON.stringify(message);
  return {
    attributes: {
      request: {
        time: `2026-11-22T10:00:0${Math.floor(Math.random() * 10)}Z`,
        http: {
          method: 'POST',
          body,
          size: String(body.length),
          headers: { 'x-request-id': opts.requestId ?? 'r-1', 'content-type': 'application/json', 'content-length': String(body.length) },
        },
      },
    },
    parsed_path: ['mcp'],
    parsed_query: {},
    ...(opts.parsed === false ? {} : { parsed_body: message }),
    truncated_body: false,
    version: { encoding: 'protojson', ext_authz: 'v3' },
    mcp,
    identity: { verified: false, roles: [], scopes: [], ...(opts.agent ? { agent: opts.agent } : {}) },
    now: { unix_ns: (opts.minute ?? 1) * 60e9, rfc3339: 'x' },
  };
};

type V = { answer: string };

function cacheWithEvents(opts: Partial<DecisionCacheOptions<V>> = {}) {
  const events: string[] = [];
  const cache = createDecisionCache<V>({
    maxEntries: 100,
    maxBytes: 1 << 20,
    ttlMs: 60_000,
    sizeOf: (v) => 2 * v.answer.length,
    onEviction: (r) => events.push(`eviction:${r}`),
    ...opts,
  });
  /** Look up; on a miss store `answer`. Returns the outcome's status (and records it). */
  const use = (p: ReturnType<typeof policy>, d: KeyDocument, answer = 'yes'): string => {
    const l = cache.lookup(p, d);
    events.push(l.status === 'bypass' ? `bypass:${l.reason}` : l.status);
    if (l.status === 'miss') cache.store(p, l.key, { answer });
    return l.status === 'hit' ? l.value.answer : l.status;
  };
  return { cache, events, use };
}

describe('decision cache', () => {
  it('serves a repeat from the cache, whatever its volatile headers, request time, JSON-RPC id and body spelling', () => {
    const { cache, events, use } = cacheWithEvents();
    const p = policy();
    use(p, doc('read', { requestId: 'r-1', id: 1 }), 'first');
    expect(use(p, doc('read', { requestId: 'r-2', id: 'abc-123456' }))).toBe('first');
    const spaced = JSON.stringify({ jsonrpc: '2.0', id: 77, method: 'tools/call', params: { name: 'read', arguments: {} } }, null, 2);
    expect(use(p, doc('read', { id: 77, rawBody: spaced }))).toBe('first');
    use(p, doc('rm'));
    expect(events).toEqual(['miss', 'hit', 'hit', 'miss']);
    expect(cache.stats()).toMatchObject({ hits: 2, misses: 2, bypasses: 0, size: 2 });
  });

  it('keys on everything else the decision depends on: identity, the minute, the raw body when it did not parse', () => {
    const { events, use } = cacheWithEvents();
    const p = policy();
    use(p, doc('read'));
    use(p, doc('read', { agent: 'bot' }));
    use(p, doc('read', { minute: 2 }));
    use(p, doc('read', { parsed: false, rawBody: '{"a":' }));
    use(p, doc('read', { parsed: false, rawBody: '{"b":' }));
    use(p, doc('read', { parsed: false, rawBody: '{"b":' }));
    expect(events).toEqual(['miss', 'miss', 'miss', 'miss', 'miss', 'hit']);
  });

  it('a null parsed_body (compat mode: a body the plugin leaves unparsed) keeps the body and input.mcp in the key', () => {
    // Issue 19 class 2: with parsed_body null the key used to leave out the body and input.mcp, so one allowed call
    // answered every later call with another body.
    const { events, use } = cacheWithEvents();
    const p = policy();
    const unparsed = (url: string): KeyDocument => {
      const d = doc('fetch_url', {
        rawBody: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'fetch_url', arguments: { url } } }),
      });
      return { ...d, parsed_body: null, mcp: { ...(d.mcp as Record<string, unknown>), arguments: { url } } as NonNullable<KeyDocument['mcp']> };
    };
    expect(use(p, unparsed('https://httpbin.org/get'), 'allowed')).toBe('miss');
    expect(use(p, unparsed('http://169.254.169.254/'))).toBe('miss');
    expect(use(p, unparsed('https://httpbin.org/get'))).toBe('allowed');
    expect(events).toEqual(['miss', 'miss', 'hit']);
  });

  it('a new policy load misses, even with the same revision and sha256', () => {
    const { cache, events, use } = cacheWithEvents();
    const v1 = policy();
    const v2 = policy({ revision: 'rev-2' });
    const reloaded = policy(); // same revision and bytes, possibly other data files
    for (const p of [v1, v2, reloaded, v1]) use(p, doc('read'));
    expect(events).toEqual(['miss', 'miss', 'miss', 'hit']);
    expect(new Set([cache.key(v1, doc('read')), cache.key(v2, doc('read')), cache.key(reloaded, doc('read'))]).size).toBe(3);
  });

  it('bypasses the cache for a non-deterministic policy by default', () => {
    const { cache, events, use } = cacheWithEvents();
    const clocky = policy({ nondeterministic: true });
    use(clocky, doc('read'));
    use(clocky, doc('read'));
    expect(events).toEqual(['bypass:nondeterministic', 'bypass:nondeterministic']);
    expect(cache.size()).toBe(0);
  });

  it('caches a non-deterministic policy for nondeterministicTtlMs when the operator sets it', () => {
    let now = 1_000;
    const { events, use } = cacheWithEvents({ nondeterministicTtlMs: 500, now: () => now });
    const clocky = policy({ nondeterministic: true });
    use(clocky, doc('read'));
    now += 499;
    use(clocky, doc('read'));
    now += 2;
    use(clocky, doc('read'));
    expect(events).toEqual(['miss', 'hit', 'eviction:expire', 'miss']);
  });

  it('expires entries after ttlMs (fake clock)', () => {
    let now = 5_000;
    const { cache, events, use } = cacheWithEvents({ ttlMs: 1_000, now: () => now });
    use(policy(), doc('read'));
    now += 999;
    use(policy(), doc('read'));
    expect(events).toEqual(['miss', 'miss']); // another policy object: another generation
    const p = policy();
    use(p, doc('read'));
    now += 999;
    use(p, doc('read'));
    now += 2;
    use(p, doc('read'));
    // The store after that miss also purges the two entries of the first policies, expired meanwhile.
    expect(events.slice(2)).toEqual(['miss', 'hit', 'eviction:expire', 'miss', 'eviction:expire', 'eviction:expire']);
    expect(cache.size()).toBe(1);
  });

  it('drops expired entries nobody looks up again: a store purges them, at most once per ttlMs', () => {
    let now = 5_000; // lru-cache reads a start time of 0 as "no TTL"
    const { cache, events, use } = cacheWithEvents({ ttlMs: 1_000, now: () => now });
    const p = policy();
    for (const name of ['a', 'b', 'c']) use(p, doc(name));
    expect(cache.size()).toBe(3);
    now = 6_500; // a, b and c expired; nothing looks them up
    use(p, doc('d'));
    expect(cache.size()).toBe(1);
    expect(events.filter((e) => e === 'eviction:expire')).toHaveLength(3);
    now = 6_600;
    use(p, doc('x')); // the purge ran at 6,500: the next one is due at 7,500
    expect(cache.size()).toBe(2);
    now = 7_550; // d (stored at 6,500) expired; x (6,600) not yet
    use(p, doc('y'));
    expect(cache.size()).toBe(2); // x and y
    now = 7_700; // x expired too, but the last purge ran 150 ms ago: it waits for a lookup or the next purge
    use(p, doc('z'));
    expect(cache.size()).toBe(3);
    expect(events.filter((e) => e === 'eviction:expire')).toHaveLength(4);
    expect(cache.stats().expirations).toBeGreaterThanOrEqual(1);
  });

  it('evicts the least recently used entry at maxEntries and reports it', () => {
    const { cache, events, use } = cacheWithEvents({ maxEntries: 2 });
    const p = policy();
    use(p, doc('a'));
    use(p, doc('b'));
    use(p, doc('a')); // a is now the most recently used
    use(p, doc('c')); // evicts b
    expect(events).toEqual(['miss', 'miss', 'hit', 'miss', 'eviction:evict']);
    expect(cache.size()).toBe(2);
    expect(cache.peek(cache.key(p, doc('b')))).toBeUndefined();
    expect(cache.peek(cache.key(p, doc('a')))).toBeDefined();
  });

  it('is bounded by bytes as well: large entries push old ones out, and one larger than the cache is not kept', () => {
    const { cache, events, use } = cacheWithEvents({ maxBytes: 4_000 });
    const p = policy();
    use(p, doc('a'), 'x'.repeat(1_000)); // ~2 KB with key and overhead
    expect(cache.bytes()).toBeGreaterThan(2_000);
    use(p, doc('b'), 'y'.repeat(1_000));
    expect(events.at(-1)).toBe('eviction:evict');
    expect(cache.size()).toBe(1);
    expect(cache.bytes()).toBeLessThanOrEqual(4_000);
    use(p, doc('c'), 'z'.repeat(10_000)); // larger than the whole cache
    expect(cache.peek(cache.key(p, doc('c')))).toBeUndefined();
    expect(cache.stats().bytes).toBe(cache.bytes());
  });

  it('bypasses a document it cannot serialise', () => {
    const { events, use } = cacheWithEvents();
    use(policy(), { ...doc('x'), big: 1n });
    expect(events).toEqual(['bypass:unserialisable']);
  });

  it('validates its options', () => {
    const base = { maxEntries: 1, maxBytes: 1, ttlMs: 1, sizeOf: () => 1 };
    expect(() => createDecisionCache({ ...base, maxEntries: 0 })).toThrow(RangeError);
    expect(() => createDecisionCache({ ...base, maxBytes: 0 })).toThrow(RangeError);
    expect(() => createDecisionCache({ ...base, ttlMs: 0 })).toThrow(RangeError);
    expect(() => createDecisionCache({ ...base, nondeterministicTtlMs: -1 })).toThrow(RangeError);
  });
});
