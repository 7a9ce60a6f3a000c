import type { CachedDecision } from '../../src/check/pipeline.js';
import type { CheckSettings } from '../../src/check/settings.js';
import { createDecisionCache, type DecisionCacheOptions } from '../../src/cache/decision-cache.js';
import { loadDescriptors } from '../../src/envoy/descriptors.js';
import { envoyHttpStatusCodes } from '../../src/envoy/http-status.js';
import { DEFAULT_BODY_LIMITS } from '../../src/mcp/parse-body.js';

/** Check settings as the server's defaults make them (the statuses Envoy accepts come from the real descriptors). */
export function testSettings(overrides: Partial<CheckSettings> = {}): CheckSettings {
  return {
    limits: DEFAULT_BODY_LIMITS,
    malformed: 'deny',
    decision: { validHttpStatus: envoyHttpStatusCodes(loadDescriptors().packageDefinition), defaultDenyStatus: 403, defaultApprovalStatus: 403 },
    response: { managedHeaders: [] },
    ...overrides,
  };
}

/** A decision cache as the server builds it (sizes estimated from the JSON of the entry). */
export function testCache(opts: Partial<DecisionCacheOptions<CachedDecision>> = {}) {
  return createDecisionCache<CachedDecision>({
    maxEntries: 100,
    maxBytes: 16 * 1024 * 1024,
    ttlMs: 60_000,
    sizeOf: (e) => 2 * JSON.stringify(e).length,
    ...opts,
  });
}
