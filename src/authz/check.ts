import { REASON } from '../errors.js';
import type { Policy } from '../policy/opa-wasm.js';
import type { BodyLimits } from '../mcp/parse-body.js';
import { type DecisionOptions, interpretResult } from './decision.js';
import { failureDecision } from './failure.js';
import { type CheckRequestWire, checkRequestToInput, type RequestView } from './request.js';
import { type CheckResponseWire, type ResponseOptions, toCheckResponse } from './response.js';
import type { Decision, PolicyInput } from './types.js';
import { approvalId } from './approval-id.js';

export interface CheckSettings {
  limits: BodyLimits;
  /** `deny`: the server denies a malformed body itself. `policy`: the policy decides, seeing input.mcp.error. */
  malformed: 'deny' | 'policy';
  decision: DecisionOptions;
  response: ResponseOptions;
}

/** Starts a named child span of the check (tracing); the result ends it. */
export type SpanStarter = (name: string) => () => void;
const NO_SPAN: SpanStarter = () => () => undefined;

/** Steps the composition root may add around evaluation (identity, facts, cache). All optional. */
export interface CheckHooks {
  /** Add facts to the input before evaluation (identity, URL facts, findings). Must not throw for bad input. */
  enrich?: (input: PolicyInput, view: RequestView) => void | Promise<void>;
  /** Evaluate with a cache in front; defaults to calling policy.evaluate. */
  evaluate?: (policy: Policy, input: PolicyInput) => unknown;
}

export interface CheckOutcome {
  response: CheckResponseWire;
  decision: Decision;
  view?: RequestView;
  /** The policy the check was evaluated against (the one current when the check started). */
  policy?: Policy;
  /** Seconds spent evaluating, when the policy ran. */
  evalSeconds?: number;
}

/**
 * One Check, end to end: request → input → (enrich) → evaluate → validated decision → CheckResponse.
 * Takes the policy current at the start, so a reload never changes a check in flight. Total: any failure ends
 * as a PERMISSION_DENIED response with a reason code, never as an allow and never as an exception.
 */
export async function runCheck(
  request: CheckRequestWire,
  currentPolicy: () => Policy | undefined,
  settings: CheckSettings,
  hooks: CheckHooks = {},
  span: SpanStarter = NO_SPAN,
): Promise<CheckOutcome> {
  const policy = currentPolicy();
  let view: RequestView | undefined;
  try {
    const endParse = span('parse');
    view = checkRequestToInput(request, settings.limits);
    endParse();
    if (!view.method) {
      return finish(failureDecision(REASON.requestInvalid, 'the CheckRequest carries no HTTP request attributes'), settings, view, policy);
    }
    const mcpError = view.input.mcp?.error;
    if (mcpError && settings.malformed === 'deny') {
      return finish(failureDecision(mcpError.code, mcpError.message), settings, view, policy);
    }
    if (!policy) return finish(failureDecision(REASON.policyNotLoaded, 'no policy is loaded yet'), settings, view);

    if (hooks.enrich) {
      const endEnrich = span('enrich');
      await hooks.enrich(view.input, view);
      endEnrich();
    }

    const started = process.hrtime.bigint();
    let resultSet: unknown;
    const endEval = span(hooks.evaluate ? 'cache' : 'evaluate');
    try {
      resultSet = hooks.evaluate ? hooks.evaluate(policy, view.input) : policy.evaluate(view.input);
    } catch (err) {
      return finish(failureDecision(REASON.policyEvalError, `policy evaluation failed: ${(err as Error).message}`), settings, view, policy);
    } finally {
      endEval();
    }
    const evalSeconds = Number(process.hrtime.bigint() - started) / 1e9;

    const interpreted = interpretResult(resultSet, settings.decision);
    const decision = interpreted.ok ? interpreted.decision : failureDecision(interpreted.code, interpreted.message);
    if (decision.kind === 'require_approval') decision.approvalId = approvalId(view.input);
    return { ...finish(decision, settings, view, policy), evalSeconds };
  } catch (err) {
    return finish(failureDecision(REASON.internalError, `internal error: ${(err as Error).message}`), settings, view, policy);
  }
}

function finish(decision: Decision, settings: CheckSettings, view?: RequestView, policy?: Policy): CheckOutcome {
  const outcome: CheckOutcome = { response: toCheckResponse(decision, settings.response), decision };
  if (view) outcome.view = view;
  if (policy) outcome.policy = policy;
  return outcome;
}
