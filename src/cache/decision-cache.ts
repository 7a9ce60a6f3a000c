import { LRUCache } from 'lru-cache';
import { compileKeySpec, keyJson, type KeySpec } from './canonical-key.js';
import { BODY_DERIVED_HEADERS, BODY_DERIVED_PATHS, DEFAULT_VOLATILE_HEADERS, DEFAULT_VOLATILE_PATHS, DERIVED_PATHS } from './volatile-fields.js';

/**
 * Decision cache: policy load + digest of what the decision depends on → a cached answer (whatever the pipeline
 * stores: the validated decision and its response).
 *
 * The key is computed BEFORE enrichment (no facts: they are a pure function of the arguments, which are in the
 * key) from the input document as built from the request, with the resolved identity and the minute
 * (`input.now`) already in it. What a key covers:
 * - the policy: a per-cache generation number of the Policy object (every load, even of identical bytes with the
 *   same revision, is a new object and so a new generation), plus its revision, bundle sha256 and data sha256;
 * - the input document minus the volatile fields (volatile-fields.ts). When the body parsed as JSON, its parsed
 *   form stands for it: the raw body text and what only restates it (the body size, `content-length`) and the
 *   JSON-RPC ids are left out, so requests that differ only in their JSON-RPC id share an entry. The pipeline
 *   puts the current request's id back into a cached JSON-RPC error (check/per-request.ts).
 *
 * What is never cached: inputs that cannot be serialised (the lookup says `bypass`, the evaluation meets the same
 * problem) and, by default, every check under a non-deterministic policy (one that calls time.now_ns, rand.*,
 * uuid.*, ...). An operator who accepts answers up to N ms stale for such a policy sets `nondeterministicTtlMs`.
 *
 * The cache is bounded by entries (`maxEntries`) and by bytes (`maxBytes`, sizes from `sizeOf`); the least
 * recently used entry goes first. Stored values are shared between checks: callers must not mutate them.
 */

export type EvictionReason = 'evict' | 'expire';
export type BypassReason = 'nondeterministic' | 'unserialisable';

export interface DecisionCacheOptions<V> {
  /** Most entries kept; the least recently used is evicted beyond it. Positive integer. */
  maxEntries: number;
  /** Most bytes kept (the sum of sizeOf over the entries, plus their keys). Positive integer. */
  maxBytes: number;
  /** Estimated bytes held by one value (it is never larger than maxBytes once stored). */
  sizeOf: (value: V) => number;
  /** Lifetime of an entry in ms. Positive integer. */
  ttlMs: number;
  /** Header names left out of the key. Default: DEFAULT_VOLATILE_HEADERS. */
  volatileHeaders?: readonly string[];
  /** Input paths (object keys from the root) left out of the key. Default: DEFAULT_VOLATILE_PATHS. */
  volatilePaths?: readonly (readonly string[])[];
  /** Lifetime of entries for non-deterministic policies. 0 (default) bypasses the cache for them. */
  nondeterministicTtlMs?: number;
  /**
   * An entry left the cache: `evict` (LRU, at maxEntries or maxBytes) or `expire` (TTL passed: seen on lookup, or
   * dropped by the purge a store runs at most once per ttlMs).
   */
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
  bytes: number;
}

/** What the cache needs to know about a policy (a Policy satisfies it). */
export interface PolicyIdentity {
  revision: string;
  sha256: string;
  dataSha256?: string;
  nondeterministic?: boolean;
}

/** The input document as the key reads it (an authz PolicyInput satisfies it). */
export interface KeyDocument {
  parsed_body?: unknown;
  truncated_body?: boolean;
  mcp?: object & { error?: unknown };
  [field: string]: unknown;
}

export type CacheLookup<V> = { status: 'hit'; value: V } | { status: 'miss'; key: string } | { status: 'bypass'; reason: BypassReason };

export interface DecisionCache<V extends object> {
  /**
   * The key for `doc` under `policy`. Pass the Policy object itself: the key is tied to that object, so two loads
   * never share entries. Throws for a document that cannot be serialised.
   */
  key(policy: PolicyIdentity & object, doc: KeyDocument): string;
  /** Look up: a hit, a miss (with the key to store under), or a bypass (never cached). Counts the outcome. */
  lookup(policy: PolicyIdentity & object, doc: KeyDocument): CacheLookup<V>;
  /**
   * The key of a request fingerprint (check/fingerprint.ts) under `policy` in the given minute (`input.now` is in
   * every key): apart from every key lookup() makes. Only for a policy that is not non-deterministic.
   */
  fingerprintKey(policy: object, minute: number, fingerprint: string): string;
  /** The value under a fingerprint key, counted as a hit when there is one (a fingerprint miss is not counted). */
  lookupFingerprint(key: string): V | undefined;
  /** What the keys leave out (options or defaults), so a fingerprint leaves out no more. */
  readonly volatile: { readonly headers: readonly string[]; readonly paths: readonly (readonly string[])[] };
  /** Store a value under a key from lookup(); entries of a non-deterministic policy live nondeterministicTtlMs. */
  store(policy: PolicyIdentity, key: string, value: V): void;
  /** The value under a key, without counting (tests, tools). */
  peek(key: string): V | undefined;
  size(): number;
  /** Estimated bytes held (sizeOf of the values plus the keys). */
  bytes(): number;
  clear(): void;
  stats(): DecisionCacheStats;
}

/**
 * Fixed overhead per entry, in bytes: lru-cache's bookkeeping, the wrapper, the frozen decision and response as
 * objects rather than text, the JSON-RPC ids. Calibrated against the live heap: 4,000 distinct entries (the request
 * of bench/request.json with 4,000 hosts, measured after a full GC) held 5.9 KB each under the guardrails pack and
 * 4.6 KB under bench:compare's policy, where 160 bytes of overhead estimated 5.3 and 3.2 KB.
 */
const ENTRY_OVERHEAD = 1024;

export function createDecisionCache<V extends object>(opts: DecisionCacheOptions<V>): DecisionCache<V> {
  requireInteger('maxEntries', opts.maxEntries, 1);
  requireInteger('maxBytes', opts.maxBytes, 1);
  requireInteger('ttlMs', opts.ttlMs, 1);
  const nondeterministicTtlMs = opts.nondeterministicTtlMs ?? 0;
  requireInteger('nondeterministicTtlMs', nondeterministicTtlMs, 0);

  const volatileHeaders = opts.volatileHeaders ?? DEFAULT_VOLATILE_HEADERS;
  const volatilePaths = opts.volatilePaths ?? DEFAULT_VOLATILE_PATHS;
  // Two compiled specs: the whole input, and the input whose body parsed (its parsed form stands for the bytes).
  const rawSpec: KeySpec = compileKeySpec({ volatileHeaders, volatilePaths: [...volatilePaths, ...DERIVED_PATHS] });
  const parsedSpec: KeySpec = compileKeySpec({
    volatileHeaders: [...volatileHeaders, ...BODY_DERIVED_HEADERS],
    volatilePaths: [...volatilePaths, ...DERIVED_PATHS, ...BODY_DERIVED_PATHS],
  });
  const counters = { hits: 0, misses: 0, bypasses: 0, evictions: 0, expirations: 0 };

  const lru = new LRUCache<string, { value: V; bytes: number }>({
    max: opts.maxEntries,
    maxSize: opts.maxBytes,
    sizeCalculation: (entry) => entry.bytes,
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

  // The key is the document's JSON text itself, not a digest: equality of keys is equality of texts (no collision
  // to argue about), and a Map lookup on a string costs less than hashing it with SHA-256. Its size is accounted.
  const key = (policy: PolicyIdentity & object, doc: KeyDocument): string => {
    // The raw body may be left out only when parsed_body stands for it: parsed JSON, whole, with no error. A null
    // parsed_body (the opa-envoy compat profile: a body the plugin does not parse) stands for nothing, so the body
    // stays in the key. Each compat profile keeps to this (src/check/profile.ts); the key never asks which one it is.
    const bodyParsed = doc.parsed_body !== undefined && doc.parsed_body !== null && doc.truncated_body !== true && doc.mcp?.error === undefined;
    return `${generationOf(policy)}${bodyParsed ? 'p' : 'r'}${keyJson(doc, bodyParsed ? parsedSpec : rawSpec)}`;
  };

  // Expired entries are dropped when looked up, or when the bounds push them out. Without traffic for their keys
  // they would hold memory up to maxBytes, so a store (a miss, off the hit path) purges them once per ttlMs.
  const clock = opts.now ?? (() => performance.now());
  let nextPurge = clock() + opts.ttlMs;
  const purgeExpired = (): void => {
    const t = clock();
    if (t < nextPurge) return;
    nextPurge = t + opts.ttlMs;
    lru.purgeStale();
  };

  const bypass = (reason: BypassReason): CacheLookup<V> => {
    counters.bypasses++;
    return { status: 'bypass', reason };
  };

  return {
    key,
    lookup(policy, doc) {
      if (policy.nondeterministic && nondeterministicTtlMs === 0) return bypass('nondeterministic');
      let k: string;
      try {
        k = key(policy, doc);
      } catch {
        // Not JSON-serialisable (BigInt, a cycle): the evaluation meets the same problem and reports it.
        return bypass('unserialisable');
      }
      const entry = lru.get(k);
      if (entry) {
        counters.hits++;
        return { status: 'hit', value: entry.value };
      }
      counters.misses++;
      return { status: 'miss', key: k };
    },
    store(policy, k, value) {
      purgeExpired();
      const bytes = Math.ceil(opts.sizeOf(value)) + k.length + ENTRY_OVERHEAD;
      if (!(bytes <= opts.maxBytes)) return; // larger than the whole cache: not kept
      if (policy.nondeterministic) lru.set(k, { value, bytes }, { ttl: nondeterministicTtlMs });
      else lru.set(k, { value, bytes });
    },
    fingerprintKey: (policy, minute, fingerprint) => `${generationOf(policy)}f${minute}:${fingerprint}`,
    lookupFingerprint(k) {
      const entry = lru.get(k);
      if (entry) counters.hits++;
      return entry?.value;
    },
    volatile: { headers: volatileHeaders, paths: volatilePaths },
    peek: (k) => lru.peek(k)?.value,
    size: () => lru.size,
    bytes: () => lru.calculatedSize,
    clear: () => lru.clear(),
    stats: () => ({ ...counters, size: lru.size, bytes: lru.calculatedSize }),
  };
}

function requireInteger(name: string, value: number, min: number): void {
  if (!Number.isInteger(value) || value < min) throw new RangeError(`decision cache: ${name} must be an integer >= ${min}, got ${value}`);
}
