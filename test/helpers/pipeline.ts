import type { CachedDecision } from '../../src/check/pipeline.js';
import type { CheckSettings } from '../../src/check/settings.js';
import { createDecisionCache, type DecisionCacheOptions } from '../../src/cache/decision-cache.js';
import { loadDescriptorSet } from '../../src/envoy/descriptor-set.js';
import type { BodyLimits } from '../../src/mcp/parse-body.js';
import { buildInput, type CheckRequestWire, decodeRequest, type RequestView } from '../../src/check/request.js';
import { configSchema } from '../../src/config/schema.js';
import { checkSettings } from '../../src/server/check-settings.js';

/** The body limits of the server's default configuration, built as serve builds them (config → check settings). */
export const DEFAULT_LIMITS: BodyLimits = checkSettings(configSchema.parse({}), new Set()).limits;

/** CheckRequest → input document as the pipeline builds it: its decode stage, then its input stage. */
export function inputOf(req: CheckRequestWire, limits: BodyLimits = DEFAULT_LIMITS): RequestView {
  return buildInput(req, decodeRequest(req), limits);
}

/** Check settings as the server's defaults make them (the statuses Envoy accepts come from the real descriptors). */
export function testSettings(overrides: Partial<CheckSettings> = {}): CheckSettings {
  return {
    limits: DEFAULT_LIMITS,
    malformed: 'deny',
    decision: { validHttpStatus: loadDescriptorSet().httpStatusCodes, defaultDenyStatus: 403, defaultApprovalStatus: 403 },
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
