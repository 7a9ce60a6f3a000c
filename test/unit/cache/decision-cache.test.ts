import { describe, expect, it } from 'vitest';
import { createDecisionCache, type DecisionCacheOptions } from '../../../src/cache/decision-cache.js';
import type { PolicyInput } from '../../../src/authz/types.js';
import type { Policy } from '../../../src/policy/opa-wasm.js';

/**
 * A Policy whose evaluation is a pure function of the input (tool allowed unless it is "rm"), counting its
 * evaluations so the tests see what the cache spared. The real WASM policy is exercised through the cache in
 * test/integration/bundle-poller.test.ts.
 */
function countingPolicy(overrides: Partial<Policy> = {}): Policy & { evaluations: number } {
  const p = {
    revision: 'rev-1',
    source: 'test',
    sha256: 'a'.repeat(64),
    dataSha256: 'b'.repeat(64),
    entrypoint: 'mcp/authz/decision',
    entrypoints: ['mcp/authz/decision'],
    loadedAt: new Date(0),
    requiredBuiltins: [],
    nondeterministic: false,
    mode: 'enforce' as const,
    artifact: { wasm: new Uint8Array(), dataJson: '{}', entrypoint: 'mcp/authz/decision', source: 'test', revision: 'rev', sha256: 'x', maxMemoryPages: 16 },
    evaluations: 0,
    evaluate(input: unknown) {
      p.evaluations++;
      const tool = (input as PolicyInput).mcp?.tool;
      return [{ result: { allowed: tool !== 'rm', rule: `tool:${tool}` } }];
    },
    ...overrides,
  };
  return p;
}

const input = (tool: string, requestId = 'r-1'): PolicyInput => ({
  attributes: { request: { http: { method: 'POST', headers: { 'x-request-id': requestId, 'content-type': 'application/json' } } } },
  parsed_path: ['mcp'],
  parsed_query: {},
  parsed_body: { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: tool } },
  truncated_body: false,
  version: { encoding: 'protojson', ext_authz: 'v3' },
  mcp: { method: 'tools/call', id: 1, tool, is_batch: false, is_notification: false, is_response: false },
});

function cacheWithEvents(opts: Partial<DecisionCacheOptions> = {}) {
  const events: string[] = [];
  const cache = createDecisionCache({
    maxEntries: 100,
    ttlMs: 60_000,
    onHit: () => events.push('hit'),
    onMiss: () => events.push('miss'),
    onBypass: (r) => events.push(`bypass:${r}`),
    onEviction: (r) => events.push(`eviction:${r}`),
    ...opts,
  });
  return { cache, events };
}

describe('decision cache', () => {
  it('evaluates once per distinct input and serves repeats from the cache', () => {
    const { cache, events } = cacheWithEvents();
    const policy = countingPolicy();
    const first = cache.evaluate(policy, input('read', 'r-1'));
    const again = cache.evaluate(policy, input('read', 'r-2')); // differs only in x-request-id (volatile)
    const other = cache.evaluate(policy, input('rm'));
    expect(again).toEqual(first);
    expect(other).toEqual([{ result: { allowed: false, rule: 'tool:rm' } }]);
    expect(policy.evaluations).toBe(2);
    expect(events).toEqual(['miss', 'hit', 'miss']);
    expect(cache.stats()).toMatchObject({ hits: 1, misses: 2, bypasses: 0, size: 2 });
  });

  it('a new policy load misses, even with the same revision and sha256', () => {
    const { cache, events } = cacheWithEvents();
    const v1 = countingPolicy();
    const v2 = countingPolicy({ revision: 'rev-2' });
    const reloaded = countingPolicy(); // same revision and bytes, possibly other data files
    cache.evaluate(v1, input('read'));
    cache.evaluate(v2, input('read'));
    cache.evaluate(reloaded, input('read'));
    cache.evaluate(v1, input('read'));
    expect([v1.evaluations, v2.evaluations, reloaded.evaluations]).toEqual([1, 1, 1]);
    expect(events).toEqual(['miss', 'miss', 'miss', 'hit']);
    expect(new Set([cache.key(v1, input('read')), cache.key(v2, input('read')), cache.key(reloaded, input('read'))]).size).toBe(3);
  });

  it('bypasses the cache for a non-deterministic policy by default', () => {
    const { cache, events } = cacheWithEvents();
    const clocky = countingPolicy({ nondeterministic: true });
    cache.evaluate(clocky, input('read'));
    cache.evaluate(clocky, input('read'));
    expect(clocky.evaluations).toBe(2);
    expect(events).toEqual(['bypass:nondeterministic', 'bypass:nondeterministic']);
    expect(cache.size()).toBe(0);
  });

  it('caches a non-deterministic policy for nondeterministicTtlMs when the operator sets it', () => {
    let now = 1_000;
    const { cache, events } = cacheWithEvents({ nondeterministicTtlMs: 500, now: () => now });
    const clocky = countingPolicy({ nondeterministic: true });
    cache.evaluate(clocky, input('read'));
    now += 499;
    cache.evaluate(clocky, input('read'));
    now += 2;
    cache.evaluate(clocky, input('read'));
    expect(clocky.evaluations).toBe(2);
    expect(events).toEqual(['miss', 'hit', 'eviction:expire', 'miss']);
  });

  it('expires entries after ttlMs (fake clock)', () => {
    let now = 5_000;
    const { cache, events } = cacheWithEvents({ ttlMs: 1_000, now: () => now });
    const policy = countingPolicy();
    cache.evaluate(policy, input('read'));
    now += 999;
    cache.evaluate(policy, input('read'));
    now += 2;
    cache.evaluate(policy, input('read'));
    expect(policy.evaluations).toBe(2);
    expect(events).toEqual(['miss', 'hit', 'eviction:expire', 'miss']);
    expect(cache.stats()).toMatchObject({ expirations: 1, evictions: 0 });
  });

  it('evicts the least recently used entry at maxEntries and reports it', () => {
    const { cache, events } = cacheWithEvents({ maxEntries: 2 });
    const policy = countingPolicy();
    cache.evaluate(policy, input('a'));
    cache.evaluate(policy, input('b'));
    cache.evaluate(policy, input('a')); // a is now the most recently used
    cache.evaluate(policy, input('c')); // evicts b
    expect(events).toEqual(['miss', 'miss', 'hit', 'miss', 'eviction:evict']);
    expect(cache.size()).toBe(2);
    expect(cache.get(cache.key(policy, input('b')))).toBeUndefined();
    expect(cache.get(cache.key(policy, input('a')))).toBeDefined();
    expect(cache.stats().evictions).toBe(1);
  });

  it('never caches an evaluation error', () => {
    const { cache, events } = cacheWithEvents();
    let fail = true;
    const policy = countingPolicy({
      evaluate: () => {
        if (fail) throw new Error('out of memory');
        return [{ result: true }];
      },
    });
    expect(() => cache.evaluate(policy, input('read'))).toThrow('out of memory');
    fail = false;
    expect(cache.evaluate(policy, input('read'))).toEqual([{ result: true }]);
    expect(events).toEqual(['miss', 'miss']);
  });

  it('shares frozen result sets, so no check can alter another check\'s decision', () => {
    const { cache } = cacheWithEvents();
    const policy = countingPolicy();
    const rs = cache.evaluate(policy, input('read')) as { result: { allowed: boolean } }[];
    expect(() => {
      rs[0]!.result.allowed = false; // ES modules are strict: writing to a frozen object throws
    }).toThrow(TypeError);
    expect(cache.evaluate(policy, input('read'))).toEqual([{ result: { allowed: true, rule: 'tool:read' } }]);
  });

  it('evaluates an input it cannot serialise without caching it', () => {
    const { cache, events } = cacheWithEvents();
    const policy = countingPolicy({ evaluate: (i) => [{ result: (i as PolicyInput).mcp?.tool === 'x' }] });
    const odd = { ...input('x'), big: 1n } as PolicyInput;
    expect(cache.evaluate(policy, odd)).toEqual([{ result: true }]);
    expect(events).toEqual(['bypass:unserialisable']);
  });

  it('get/set/clear work on explicit keys; options are validated', () => {
    const { cache } = cacheWithEvents();
    const policy = countingPolicy();
    const k = cache.key(policy, input('read'));
    expect(cache.get(k)).toBeUndefined();
    cache.set(k, [{ result: false }]);
    expect(cache.get(k)).toEqual([{ result: false }]);
    cache.clear();
    expect(cache.size()).toBe(0);
    expect(() => createDecisionCache({ maxEntries: 0, ttlMs: 1 })).toThrow(RangeError);
    expect(() => createDecisionCache({ maxEntries: 1, ttlMs: 0 })).toThrow(RangeError);
    expect(() => createDecisionCache({ maxEntries: 1, ttlMs: 1, nondeterministicTtlMs: -1 })).toThrow(RangeError);
  });
});
