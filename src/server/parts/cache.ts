import type { CachedDecision } from '../../check/pipeline.js';
import { createDecisionCache, type DecisionCache } from '../../cache/decision-cache.js';
import type { Config } from '../../config/schema.js';
import type { Metrics } from '../../observability/metrics.js';
import type { PolicyStore } from '../../policy/policy-store.js';

/**
 * The decision cache of a role that answers checks (`cache.enabled`). Entries are keyed by the policy object, so a
 * reload or rollback misses by construction; clearing on every store change frees memory.
 */
export function buildCache(cfg: Config, deps: { metrics: Metrics; store: PolicyStore }): DecisionCache<CachedDecision> | undefined {
  if (!cfg.cache.enabled) return undefined;
  const { metrics } = deps;
  const cache = createDecisionCache<CachedDecision>({
    maxEntries: cfg.cache.max_entries,
    maxBytes: cfg.cache.max_bytes,
    sizeOf: cachedDecisionBytes,
    ttlMs: Math.round(cfg.cache.ttl_seconds * 1000),
    nondeterministicTtlMs: Math.round(cfg.cache.nondeterministic_ttl_seconds * 1000),
    ...(cfg.cache.volatile_headers ? { volatileHeaders: cfg.cache.volatile_headers } : {}),
    ...(cfg.cache.volatile_paths ? { volatilePaths: cfg.cache.volatile_paths.map((p) => p.split('.')) } : {}),
    onEviction: () => metrics.recordCacheEviction(),
  });
  metrics.setCacheSizeSource(
    () => cache.size(),
    () => cache.bytes(),
  );
  deps.store.onChange(() => cache.clear());
  return cache;
}

/**
 * Bytes a cache entry holds, estimated: its decision and response as JSON (UTF-16 in memory, so 2 bytes a
 * character) plus a fixed allowance for the objects around them. Computed once per stored entry (misses only).
 */
function cachedDecisionBytes(entry: CachedDecision): number {
  return 2 * (JSON.stringify(entry.decision).length + JSON.stringify(entry.response).length) + 512;
}
