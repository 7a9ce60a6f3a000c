import { LRUCache } from 'lru-cache';
import type { PolicyInput } from '../authz/types.js';
import type { Policy } from '../policy/opa-wasm.js';
import { compileKeySpec, inputDigest, type KeySpec } from './canonical-key.js';

/**
 * Decision cache: policy identity + digest of the canonical input → the policy's raw result set.
 *
 * What a key covers:
 * - the policy: a per-cache generation number of the Policy object (every load, even of identical bytes with the
 *   same revision, is a new object and so a new generation), plus its revision, bundle sha256 and data sha256
 *   (hashed into the digest);
 * - the whole input the policy receives (after enrichment), minus the volatile fields (see volatile-fields.ts).
 *
 * What is never cached: evaluation errors (they propagate, and the check denies); inputs that cannot be
 * serialised (the evaluation runs uncached, and fails the same way); and, by default, every evaluation of a
 * non-deterministic policy (one that calls time.now_ns, rand.*, uuid.*, ...): its answer for the same input can
 * change, so the cache is bypassed automatically. An operator who accepts answers up to N ms stale for such a
 * policy sets `nondeterministicTtlMs: N`; those entries then live N ms.
 *
 * Cached result sets are deep-frozen and shared between checks: nothing downstream may mutate them (a mutation
 * throws, and the check denies).
 */

export type EvictionReason = 'evict' | 'expire';
export type BypassReason = 'nondeterministic' | 'unserialisable';

export interface DecisionCacheOptions {
  /** Most entries kept; the least recently used is evicted beyond it. Positive integer. */
  maxEntries: number;
  /** Lifetime of an entry in ms. Positive integer. */
  ttlMs: number;
  /** Header names left out of the key. Default: DEFAULT_VOLATILE_HEADERS. */
  volatileHeaders?: readonly string[];
  /** Input paths (object keys from the root) left out of the key. Default: DEFAULT_VOLATILE_PATHS. */
  volatilePaths?: readonly (readonly string[])[];
  /** Lifetime of entries for non-deterministic policies. 0 (default) bypasses the cache for them. */
  nondeterministicTtlMs?: number;
  onHit?: () => void;
  onMiss?: () => void;
  onBypass?: (reason: BypassReason) => void;
  /** An entry left the cache: `evict` (LRU, at maxEntries) or `expire` (TTL passed, seen on lookup). */
  onEviction?: (reason: EvictionReason) => void;
  /** Clock in ms (tests). Default: performance.now. */
  now?: () => number;
}

export interface DecisionCacheStats {
  hits: number;
  misses: number;
  bypasses: number;
  evictions: number;
  expirations: number;
  size: number;
}

/** What the cache needs to know about a policy (a Policy satisfies it). */
export type PolicyIdentity = Pick<Policy, 'revision' | 'sha256'> & Partial<Pick<Policy, 'dataSha256' | 'nondeterministic'>>;

export interface DecisionCache {
  /**
   * The key for `input` under `policy`. Pass the Policy object itself: the key is tied to that object, so two
   * loads never share entries.
   */
  key(policy: PolicyIdentity, input: PolicyInput): string;
  get(key: string): unknown;
  /** Store a result set (deep-frozen). `ttlMs` overrides the cache TTL for this entry. */
  set(key: string, resultSet: unknown, ttlMs?: number): void;
  /** Drop-in for CheckHooks.evaluate: look up, evaluate on a miss, store; bypass for non-deterministic policies. */
  evaluate(policy: Policy, input: PolicyInput): unknown;
  size(): number;
  clear(): void;
  stats(): DecisionCacheStats;
}

export function createDecisionCache(opts: DecisionCacheOptions): DecisionCache {
  requireInteger('maxEntries', opts.maxEntries, 1);
  requireInteger('ttlMs', opts.ttlMs, 1);
  const nondeterministicTtlMs = opts.nondeterministicTtlMs ?? 0;
  requireInteger('nondeterministicTtlMs', nondeterministicTtlMs, 0);

  const spec: KeySpec = compileKeySpec({
    ...(opts.volatileHeaders ? { volatileHeaders: opts.volatileHeaders } : {}),
    ...(opts.volatilePaths ? { volatilePaths: opts.volatilePaths } : {}),
  });
  const counters = { hits: 0, misses: 0, bypasses: 0, evictions: 0, expirations: 0 };

  const lru = new LRUCache<string, object>({
    max: opts.maxEntries,
    ttl: opts.ttlMs,
    // Only the dispose reasons that mean "the cache let go of an entry by itself" are reported.
    dispose: (_value, _key, reason) => {
      if (reason === 'evict') {
        counters.evictions++;
        opts.onEviction?.('evict');
      } else if (reason === 'expire') {
        counters.expirations++;
        opts.onEviction?.('expire');
      }
    },
    ...(opts.now ? { perf: { now: opts.now }, ttlResolution: 0 } : {}),
  });

  // Generation numbers of Policy objects. A WeakMap, so unloaded policies are collected as usual.
  const generations = new WeakMap<object, number>();
  let nextGeneration = 1;
  const generationOf = (policy: object): number => {
    let g = generations.get(policy);
    if (g === undefined) generations.set(policy, (g = nextGeneration++));
    return g;
  };

  const key = (policy: PolicyIdentity, input: PolicyInput): string => {
    const data = policy.dataSha256 ?? '';
    const prefix = `${policy.revision.length}:${policy.revision}${policy.sha256.length}:${policy.sha256}${data.length}:${data}`;
    return `${generationOf(policy)}.${inputDigest(input, spec, prefix)}`;
  };

  const get = (k: string): unknown => {
    const entry = lru.get(k) as { value: unknown } | undefined;
    return entry?.value;
  };

  const set = (k: string, resultSet: unknown, ttlMs?: number): void => {
    // A wrapper object, because lru-cache refuses undefined and null values.
    const entry = { value: deepFreeze(resultSet) };
    if (ttlMs !== undefined) lru.set(k, entry, { ttl: ttlMs });
    else lru.set(k, entry);
  };

  const bypass = (policy: Policy, input: PolicyInput, reason: BypassReason): unknown => {
    counters.bypasses++;
    opts.onBypass?.(reason);
    return policy.evaluate(input);
  };

  const evaluate = (policy: Policy, input: PolicyInput): unknown => {
    if (policy.nondeterministic && nondeterministicTtlMs === 0) return bypass(policy, input, 'nondeterministic');
    let k: string;
    try {
      k = key(policy, input);
    } catch {
      // Not JSON-serialisable (BigInt, a cycle): the evaluation meets the same problem and reports it.
      return bypass(policy, input, 'unserialisable');
    }
    const entry = lru.get(k) as { value: unknown } | undefined;
    if (entry) {
      counters.hits++;
      opts.onHit?.();
      return entry.value;
    }
    counters.misses++;
    opts.onMiss?.();
    const resultSet = policy.evaluate(input); // throws on failure: nothing is stored
    const stored = deepFreeze(resultSet);
    if (stored !== undefined && stored !== null) {
      if (policy.nondeterministic) lru.set(k, { value: stored }, { ttl: nondeterministicTtlMs });
      else lru.set(k, { value: stored });
    }
    return stored;
  };

  return {
    key,
    get,
    set,
    evaluate,
    size: () => lru.size,
    clear: () => lru.clear(),
    stats: () => ({ ...counters, size: lru.size }),
  };
}

function requireInteger(name: string, value: number, min: number): void {
  if (!Number.isInteger(value) || value < min) throw new RangeError(`decision cache: ${name} must be an integer >= ${min}, got ${value}`);
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value as object)) deepFreeze(v);
  }
  return value;
}
