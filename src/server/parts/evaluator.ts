import type { Logger } from 'pino';
import type { Config } from '../../config/schema.js';
import type { Metrics } from '../../observability/metrics.js';
import type { PolicyStore } from '../../policy/policy-store.js';
import { createDeadlineEvaluator, type DeadlineEvaluator } from '../../rego-wasm/index.js';

/**
 * Evaluation on the serving thread with its deadline kept (`policy.eval_timeout_ms`; a slow one finishes on a
 * thread that is stopped at it), prepared for every revision the store serves. None when the deadline is 0.
 */
export function buildEvaluator(cfg: Config, deps: { metrics: Metrics; logger: Logger; store: PolicyStore }): DeadlineEvaluator | undefined {
  const timeoutMs = cfg.policy.eval_timeout_ms;
  if (timeoutMs <= 0) return undefined;
  const evaluator = createDeadlineEvaluator({
    timeoutMs,
    onRestart: (i) => {
      deps.metrics.recordEvalRestart(i.reason);
      deps.logger.error({ reason: i.reason, revision: i.revision ?? null, err: i.error, eval_timeout_ms: timeoutMs }, 'policy evaluation stopped');
    },
  });
  const current = deps.store.current();
  if (current) evaluator.prepare(current);
  deps.store.onChange((p) => p && evaluator.prepare(p));
  return evaluator;
}
