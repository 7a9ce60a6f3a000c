import { type CachedDecision, type CheckOutcome, createCheckPipeline } from '../../check/pipeline.js';
import type { CheckSettings } from '../../check/settings.js';
import type { DecisionCache } from '../../cache/decision-cache.js';
import type { CheckHandler } from '../../envoy/authorization.js';
import type { Approvals } from '../../approvals/approvals.js';
import type { DecisionSampler } from '../../admin/console/decision-feed.js';
import type { IdentityResolver } from '../../identity/resolve.js';
import { createCheckRecorder } from '../../observability/check-observer.js';
import type { DecisionLogger } from '../../observability/decision-log.js';
import type { Metrics } from '../../observability/metrics.js';
import type { CheckSpan, Tracing } from '../../observability/tracing.js';
import type { PolicyStore } from '../../policy/policy-store.js';
import type { DeadlineEvaluator, Policy } from '../../rego-wasm/index.js';
import type { Shadow } from '../../shadow/shadow.js';

/**
 * The check pipeline of a role that answers checks, wired to what the server built: the store's current policy,
 * the evaluation deadline, the cache, the approval gate, the shadow (after the answer), tracing, and the records
 * (metrics and decision log, then the console's sampler). Returns one check, exactly as the gRPC handler answers it.
 */
export function buildChecks(deps: {
  settings: CheckSettings;
  store: PolicyStore;
  identity: IdentityResolver;
  metrics: Metrics;
  decisionLog?: DecisionLogger;
  tracing: Tracing;
  shadow: Shadow;
  evaluator?: DeadlineEvaluator;
  cache?: DecisionCache<CachedDecision>;
  approvals?: Approvals;
  sampler?: DecisionSampler<CheckOutcome>;
  /** Compute the input facts whatever the policy reads (another reader shows or keeps the input). */
  factsAlways?: boolean;
}): CheckHandler {
  const { evaluator, cache, approvals, sampler, tracing, shadow } = deps;
  const recorder = createCheckRecorder(deps.metrics, deps.decisionLog);
  const pipeline = createCheckPipeline<CheckSpan, Policy>({
    settings: deps.settings,
    policy: () => deps.store.current(),
    identity: deps.identity,
    ...(evaluator ? { evaluate: (policy: Policy, input: unknown) => evaluator.evaluate(policy, input) } : {}),
    ...(cache ? { cache } : {}),
    ...(approvals ? { approve: approvals.gate } : {}),
    shadow: (outcome) => shadow.offer(outcome),
    // Facts when the policy can read them (pipeline), or another reader of the input: the shadow candidate, if it can.
    factsAlsoFor: () => {
      if (deps.factsAlways) return true;
      const candidate = shadow.candidate();
      return candidate !== undefined && candidate.policy.readsFacts !== false;
    },
    ...(tracing.enabled ? { startSpan: (headers: Record<string, string>) => tracing.startCheck(headers) } : {}),
    record: sampler
      ? (outcome, span) => {
          recorder(outcome, span);
          sampler.offer(outcome, span?.traceId);
        }
      : recorder,
  });
  const handler: CheckHandler = (request) => {
    const outcome = pipeline.checkNow(request);
    return outcome instanceof Promise ? outcome.then((o) => o.response) : outcome.response;
  };
  const spec = pipeline.fingerprints;
  if (spec) handler.fingerprints = { spec, answer: (fingerprint, read) => pipeline.checkFingerprint(fingerprint, read)?.response };
  return handler;
}
