import { REASON, REFUSED_ALWAYS } from '../shared/errors.js';
import type { DecisionCache } from '../cache/decision-cache.js';
import { declarationsOf } from '../facts/document-declarations.js';
import { addArgumentFacts, addNow } from '../facts/enrich.js';
import { approvalId } from './approval-id.js';
import { interpretResult } from './decision.js';
import { failureDecision, malformedDecision } from './failure.js';
import { requestIds, withRequestIds, type JsonRpcId } from './per-request.js';
import type { CompatProfile } from './profile.js';
import { mcpAuthzProfile } from './profiles/mcp-authz.js';
import { buildInput, type CheckRequestWire, decodeRequest, type InputOptions, type RequestView } from './request.js';
import type { ApprovalGate, Evaluator, IdentityResolver, Policy } from './ports.js';
import type { CheckResponseWire } from './response.js';
import type { CheckSettings } from './settings.js';
import { createStages, type Stages, type StageTimings } from './stage.js';
import type { Decision } from './types.js';

export type { Evaluator } from './ports.js';
export const evaluateInProcess: Evaluator = (policy, input) => policy.evaluate(input);

/** What the decision cache keeps per entry: the validated decision, its response, and the ids it was made for. */
export interface CachedDecision {
  decision: Decision;
  response: CheckResponseWire;
  ids: (JsonRpcId | null)[];
}

/** The span of one check, as the pipeline uses it (tracing.ts CheckSpan satisfies it). */
export interface PipelineSpan {
  traceId: string | null;
  child(name: string): () => void;
}

export type CacheStatus = 'hit' | 'miss' | 'bypass' | 'off';

/** The one record of a check: metrics, the decision log and the span are all fed from it. */
export interface CheckOutcome {
  response: CheckResponseWire;
  decision: Decision;
  view?: RequestView;
  /** The policy the check was evaluated against (the one current when the check started). */
  policy?: Policy;
  /** `off` without a cache, or when the check ended before the cache stage (bad request, no policy). */
  cache: CacheStatus;
  /** Seconds per stage that ran. */
  timings: StageTimings;
  /** Check start to response, seconds. */
  durationSeconds: number;
  /** The decision_id the compat profile sent in the dynamic metadata (opa-envoy; the decision log uses the same). */
  decisionId?: string;
  /** The candidate revision that shadows this check (src/shadow), when it was sampled: the decision log's `shadow`. */
  shadow?: string;
  /** The input facts were computed (the policy or another reader of the input needed them); see completeFacts. */
  facts?: true;
}

/**
 * Add the input facts to a check's input when the check did not compute them (the policy cannot read them, or the
 * answer came from the cache): for a reader that shows the input after the answer, such as the console's sampler,
 * which copies a few decisions a second. The decision is not changed.
 */
export function completeFacts(o: CheckOutcome): void {
  if (o.facts || !o.view || !o.policy) return;
  addArgumentFacts(o.view.input, declarationsOf(o.policy.artifact));
  o.facts = true;
}

export interface CheckPipelineOptions<S extends PipelineSpan = PipelineSpan, P extends Policy = Policy> {
  settings: CheckSettings;
  /** The current policy. Read once per check, so a reload never changes a check in flight. */
  policy: () => P | undefined;
  /** Resolves `input.identity` (JWT, SPIFFE, payload header). Without it the input has no identity. */
  identity?: IdentityResolver;
  /** Default: evaluateInProcess. */
  evaluate?: Evaluator<P>;
  /** The decision cache (serve only). */
  cache?: DecisionCache<CachedDecision>;
  /** Starts the span of a check (tracing on); without it no span work is done. */
  startSpan?: (headers: Record<string, string>) => S;
  /** Receives every check's outcome once, after the response is built. Must not throw (errors are swallowed). */
  record?: (outcome: CheckOutcome, span: S | undefined) => void;
  /** The approvals step (src/approvals). */
  approve?: ApprovalGate;
  /**
   * Shadow evaluation (src/shadow): offered every outcome once the answer is built, before `record`; it only queues
   * the input and returns the candidate's revision when it sampled the check. Must not throw (errors are swallowed).
   */
  shadow?: (outcome: CheckOutcome) => string | undefined;
  /**
   * Whether another reader of this check's input needs the facts although the policy does not (the shadow
   * candidate, when it can read them): facts are computed when the policy or this says so. Default: no other reader.
   */
  factsAlsoFor?: () => boolean;
  /** Wall clock in ms for `input.now` (tests). Default Date.now. */
  now?: () => number;
}

export interface CheckPipeline {
  /** One Check. Total: every failure ends as a PERMISSION_DENIED response with a reason code, never a rejection. */
  check(request: CheckRequestWire): Promise<CheckOutcome>;
  /**
   * The same check, answered in the same call when no stage waits (the serving path): the outcome itself, or a
   * promise of it when a token is verified, the evaluation runs on the evaluation thread or an approval is looked up.
   */
  checkNow(request: CheckRequestWire): CheckOutcome | Promise<CheckOutcome>;
}

type Result = Omit<CheckOutcome, 'timings' | 'durationSeconds'>;

/**
 * The check, read top to bottom:
 *
 *   decode → input → identity → cache key ── hit ──────────────────────────────┐
 *                                   └─ miss: facts → evaluate → decide → (store) ┴→ per-request fields → respond
 *
 * Every stage is a plain function called through one stage() helper (timings, spans). The outcome is handed to
 * `record` once. `serve` builds it with cache, tracing and record; `mcp-authz check` without them.
 */
export function createCheckPipeline<S extends PipelineSpan = PipelineSpan, P extends Policy = Policy>(
  opts: CheckPipelineOptions<S, P>,
): CheckPipeline {
  const { settings, cache, identity, startSpan, record } = opts;
  const evaluate: Evaluator<P> = opts.evaluate ?? evaluateInProcess;
  const now = opts.now ?? Date.now;
  // The compat profile (check/profile.ts), and the input options it finishes the document with: fixed per pipeline.
  const profile: CompatProfile = settings.profile ?? mcpAuthzProfile;
  const inputOptions: InputOptions = settings.rawBodyInInput ? { rawBody: settings.rawBodyInInput, profile } : { profile };

  const respond = (t: Stages, decision: Decision, r: Omit<Result, 'response' | 'decision'>): Result => ({
    ...r,
    decision,
    response: t.stage('respond', () => profile.respond(decision, settings.response)),
  });
  const fail = (t: Stages, decision: Decision, r: Omit<Result, 'response' | 'decision' | 'cache'>, status: CacheStatus = 'off'): Result =>
    respond(t, decision, { ...r, cache: status });

  // Each stage returns a value, or a promise only when it really waits (a token to verify, an evaluation on the
  // evaluation thread, an approval to look up): a check with nothing to wait for runs start to end in one call.
  function run(request: CheckRequestWire, policy: P | undefined, t: Stages): Result | Promise<Result> {
    const decoded = t.stage('decode', () => decodeRequest(request));
    if (!decoded.method) return fail(t, failureDecision(REASON.requestInvalid, 'the CheckRequest carries no HTTP request attributes'), {});
    const view = t.stage('input', () => buildInput(request, decoded, settings.limits, inputOptions));
    const input = view.input;
    const mcpError = input.mcp?.error;
    if (mcpError && REFUSED_ALWAYS.has(mcpError.code))
      // A form upstreams read differently, or an upgrade: refused in every mode (docs/input.md), never to the policy.
      return fail(t, malformedDecision(mcpError, input.mcp), { view, ...(policy ? { policy } : {}) });
    // The profile's own refusals: mcp-authz's a malformed body (`body.malformed: deny`), opa-envoy's one it cannot parse.
    const refusal = profile.refuse(view, settings.malformed);
    if (refusal) {
      const r = { view, ...(policy ? { policy } : {}) };
      return refusal.response ? { decision: refusal.decision, response: refusal.response, ...r, cache: 'off' } : fail(t, refusal.decision, r);
    }
    if (!policy) return fail(t, failureDecision(REASON.policyNotLoaded, 'no policy is loaded yet'), { view });
    addNow(input, now());

    if (identity) {
      const resolved = t.stage('identity', () =>
        identity.resolve({ headers: view.headers, path: view.path, ...(input.source_principal ? { sourcePrincipal: input.source_principal } : {}) }),
      );
      if (resolved instanceof Promise)
        return resolved.then((id) => {
          input.identity = id;
          return lookUp(view, policy, t);
        });
      input.identity = resolved;
    }
    return lookUp(view, policy, t);
  }

  /** From the cache key on: a hit, or facts → evaluate → decide → (store). */
  function lookUp(view: RequestView, policy: P, t: Stages): Result | Promise<Result> {
    const input = view.input;
    const lookup = cache ? t.stage('cache', () => cache.lookup(policy, input)) : undefined;
    if (lookup?.status === 'hit') {
      const cached = lookup.value;
      return after(approval(t, perRequest(cached.decision, view, cached.ids), view, policy), (decision) =>
        decision === cached.decision
          ? { view, policy, cache: 'hit', decision, response: cached.response }
          : respond(t, decision, { view, policy, cache: 'hit' }),
      );
    }
    const status: CacheStatus = lookup ? lookup.status : 'off';

    // Facts only when something can read them (policy.readsFacts: false only when provably not; docs/input.md).
    const facts = policy.readsFacts !== false || opts.factsAlsoFor?.() === true;
    t.stage('facts', () => {
      if (facts) addArgumentFacts(input, declarationsOf(policy.artifact));
    });
    const evaluated = facts ? { view, policy, facts: true as const } : { view, policy };
    const evaluationFailed = (err: unknown): Result => {
      // An evaluation stopped at its deadline (rego-wasm/evaluator.ts PolicyTimeoutError) has its own code.
      const timedOut = (err as { code?: unknown }).code === REASON.policyTimeout;
      const code = timedOut ? REASON.policyTimeout : REASON.policyEvalError;
      return fail(
        t,
        failureDecision(code, timedOut ? (err as Error).message : `policy evaluation failed: ${(err as Error).message}`),
        evaluated,
        status,
      );
    };
    const decide = (resultSet: unknown): Result | Promise<Result> => {
      const interpreted = t.stage('decide', () => interpretResult(resultSet, settings.decision));
      if (!interpreted.ok) return fail(t, failureDecision(interpreted.code, interpreted.message), evaluated, status);
      const validated = interpreted.decision;
      return after(approval(t, perRequest(validated, view, undefined), view, policy), (decision) => {
        const result = respond(t, decision, { ...evaluated, cache: status });
        if (lookup?.status === 'miss') {
          // Shared from now on: frozen, so no check can alter another check's answer.
          cache!.store(
            policy,
            lookup.key,
            deepFreeze({
              decision: validated,
              response: decision === validated ? result.response : profile.respond(validated, settings.response),
              ids: requestIds(input.mcp),
            }),
          );
        }
        return result;
      });
    };
    let resultSet: unknown;
    try {
      resultSet = t.stage('evaluate', () => evaluate(policy, input));
    } catch (err) {
      return evaluationFailed(err);
    }
    return resultSet instanceof Promise ? resultSet.then(decide, evaluationFailed) : decide(resultSet);
  }

  /**
   * Per-request fields of a decision (on a miss and on a hit alike): the approval id of a require_approval, and on
   * a hit the JSON-RPC ids of this request in a cached JSON-RPC error. Returns the same object when nothing changes.
   */
  /** The approvals step: only a require_approval is looked up; an allow or a deny is returned as it is. */
  function approval(t: Stages, decision: Decision, view: RequestView, policy: Policy): Decision | Promise<Decision> {
    if (!opts.approve || decision.kind !== 'require_approval') return decision;
    const approve = opts.approve;
    return t.stage('approval', () => approve(decision, view.input, policy.revision));
  }

  function perRequest(decision: Decision, view: RequestView, cachedIds: (JsonRpcId | null)[] | undefined): Decision {
    let d = cachedIds ? withRequestIds(decision, cachedIds, requestIds(view.input.mcp)) : decision;
    if (d.kind === 'require_approval') {
      d = { ...d, approvalId: approvalId(view.input) };
    }
    return d;
  }

  function checkNow(request: CheckRequestWire): CheckOutcome | Promise<CheckOutcome> {
    const started = performance.now();
    const span = startSpan?.(request.attributes?.request?.http?.headers ?? {});
    const t = createStages(span ? (name) => span.child(name) : undefined);
    const policy = opts.policy();
    const internal = (err: unknown): Result =>
      fail(t, failureDecision(REASON.internalError, `internal error: ${(err as Error).message}`), policy ? { policy } : {});
    const finish = (answered: Result): CheckOutcome => {
      let result = answered;
      const identified = profile.withDecisionId(result.response);
      if (identified) result = { ...result, ...identified };
      const outcome: CheckOutcome = { ...result, timings: t.timings, durationSeconds: (performance.now() - started) / 1e3 };
      if (opts.shadow) {
        try {
          const candidate = opts.shadow(outcome);
          if (candidate) outcome.shadow = candidate;
        } catch {
          // the shadow never changes or breaks a decision
        }
      }
      if (record) {
        try {
          record(outcome, span);
        } catch {
          // observability must never change or break a decision
        }
      }
      return outcome;
    };
    let result: Result | Promise<Result>;
    try {
      result = run(request, policy, t);
    } catch (err) {
      result = internal(err);
    }
    return result instanceof Promise ? result.then(finish, (err: unknown) => finish(internal(err))) : finish(result);
  }

  return {
    checkNow,
    check: async (request) => checkNow(request),
  };
}

/** `f` of a value now, or of a promise's value when it settles. */
function after<T, R>(value: T | Promise<T>, f: (v: T) => R | Promise<R>): R | Promise<R> {
  return value instanceof Promise ? value.then(f) : f(value);
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value as object)) deepFreeze(v);
  }
  return value;
}
