import { REASON, REFUSED_ALWAYS } from '../shared/errors.js';
import type { DecisionCache } from '../cache/decision-cache.js';
import { declarationsOf } from '../facts/document-declarations.js';
import { addArgumentFacts, addNow } from '../facts/enrich.js';
import { approvalId } from './approval-id.js';
import { interpretResult } from './decision.js';
import { failureDecision, malformedDecision } from './failure.js';
import { FINGERPRINT, type FingerprintSpec, type RequestFingerprint } from './fingerprint.js';
import { requestIds, withRequestIds, type JsonRpcId } from './per-request.js';
import type { CompatProfile } from './profile.js';
import { mcpAuthzProfile } from './profiles/mcp-authz.js';
import { buildInput, type CheckRequestWire, decodeRequest, type InputOptions, type RequestView } from './request.js';
import type { ApprovalGate, Evaluator, IdentityResolver, Policy } from './ports.js';
import type { CheckResponseWire } from './response.js';
import type { CheckSettings } from './settings.js';
import { createStages, type Stages, type StageTimings } from './stage.js';
import type { Decision, PolicyInput } from './types.js';
import type { McpInput } from '../mcp/types.js';

export type { Evaluator } from './ports.js';
export const evaluateInProcess: Evaluator = (policy, input) => policy.evaluate(input);

/** What the decision cache keeps per entry: the validated decision, its response, and the ids it was made for. */
export interface CachedDecision {
  decision: Decision;
  response: CheckResponseWire;
  ids: (JsonRpcId | null)[];
  /** A fingerprint's entry (checkFingerprint): what the records of a check read from the request that filled it. */
  request?: FingerprintedRequest;
}

/** The parts of a request its records read, kept with a fingerprint's entry (the same for every request it answers). */
export interface FingerprintedRequest {
  /** Its headers without the volatile ones (each hit adds its own). */
  headers: Record<string, string>;
  method: string;
  path: string;
  /** `input.mcp` without the arguments and params (the id: each hit's own, when the fingerprint left it out). */
  mcp: McpInput;
  identity: unknown;
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
  /**
   * Set on a hit answered from the request's fingerprint (checkFingerprint), whose `view` holds only the headers,
   * method, path, `input.mcp` without arguments and `input.identity`: reads the request and returns its whole view
   * (the input as the check would have built it, without facts). A reader of the whole input calls expandView first.
   */
  expand?: () => RequestView | undefined;
  /** The hit was found by the request's fingerprint (checkFingerprint). */
  fingerprint?: true;
  /** That fingerprint's cache entry (the same object for every request it answers), while the view is partial. */
  fingerprintEntry?: FingerprintedRequest;
}

/** Give a hit answered from its fingerprint its whole view (CheckOutcome.expand); any other outcome has it already. */
export function expandView(o: CheckOutcome): void {
  if (!o.expand) return;
  const view = o.expand();
  delete o.expand;
  if (view) {
    o.view = view;
    delete o.fingerprintEntry;
  }
}

/**
 * Add the input facts to a check's input when the check did not compute them (the policy cannot read them, or the
 * answer came from the cache): for a reader that shows the input after the answer, such as the console's sampler,
 * which copies a few decisions a second. The decision is not changed.
 */
export function completeFacts(o: CheckOutcome): void {
  expandView(o);
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
  /**
   * What a fingerprint leaves out (check/fingerprint.ts), when this pipeline answers from fingerprints: it has a
   * cache, starts no spans and resolves identities from the request alone (no token verification, no clock).
   */
  readonly fingerprints: FingerprintSpec | undefined;
  /**
   * A cache hit found by the request's fingerprint, answered (and recorded) without reading the request; undefined
   * when there is none (then read the request, set FINGERPRINT on it, and check it: a hit or a miss stores the
   * fingerprint for the next one). `read` reads the request, for a reader of the whole input (CheckOutcome.expand).
   */
  checkFingerprint(fingerprint: RequestFingerprint, read: () => CheckRequestWire): CheckOutcome | undefined;
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
    const nowMs = now();
    addNow(input, nowMs);
    const fingerprint = fingerprints ? request[FINGERPRINT] : undefined;
    const keyed = fingerprint ? { fingerprint, minute: minuteOf(nowMs) } : undefined;

    if (identity) {
      const resolved = t.stage('identity', () =>
        identity.resolve({ headers: view.headers, path: view.path, ...(input.source_principal ? { sourcePrincipal: input.source_principal } : {}) }),
      );
      if (resolved instanceof Promise)
        return resolved.then((id) => {
          input.identity = id;
          return lookUp(view, policy, t, keyed);
        });
      input.identity = resolved;
    }
    return lookUp(view, policy, t, keyed);
  }

  /** From the cache key on: a hit, or facts → evaluate → decide → (store). */
  function lookUp(view: RequestView, policy: P, t: Stages, keyed: Keyed | undefined): Result | Promise<Result> {
    const input = view.input;
    const lookup = cache ? t.stage('cache', () => cache.lookup(policy, input)) : undefined;
    if (lookup?.status === 'hit') {
      const cached = lookup.value;
      if (keyed) storeFingerprint(keyed, policy, view, cached);
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
          const entry: CachedDecision = deepFreeze({
            decision: validated,
            response: decision === validated ? result.response : profile.respond(validated, settings.response),
            ids: requestIds(input.mcp),
          });
          cache!.store(policy, lookup.key, entry);
          if (keyed) storeFingerprint(keyed, policy, view, entry);
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

  /** The outcome of an answered check: its decision id (compat profile), then the shadow and the records. */
  function finish(answered: Result, started: number, t: Stages, span: S | undefined): CheckOutcome {
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
  }

  // Hits from the request's bytes (docs/decision-cache.md): with a cache, without spans (a span starts from the
  // request's headers) and with an identity that is a function of the request alone.
  const fingerprints: FingerprintSpec | undefined =
    cache && !startSpan && (identity === undefined || identity.pure === true) ? fingerprintSpec(cache.volatile) : undefined;

  /**
   * Keep the fingerprint of a request the cache answered (a hit, or a miss it stored), when the fingerprint stands
   * for that answer: not a require_approval (its approval id and gate are per request), not a batch, a body that
   * parsed, and, when the fingerprint left the id out, the id the parser read is the value the scan found.
   */
  function storeFingerprint(keyed: Keyed, policy: P, view: RequestView, cached: CachedDecision): void {
    if (policy.nondeterministic || cached.decision.kind === 'require_approval') return;
    const input = view.input;
    const mcp = input.mcp;
    if (!mcp || mcp.error || mcp.is_batch) return;
    const id = keyed.fingerprint.id;
    if (id !== undefined) {
      const body = input.parsed_body as { id?: unknown } | null | undefined;
      if (input.truncated_body || typeof body !== 'object' || body === null || body.id !== id || mcp.id !== id) return;
    }
    const headers: Record<string, string> = {};
    for (const name of Object.keys(view.headers)) if (!fingerprints!.volatileHeaders.has(name.toLowerCase())) headers[name] = view.headers[name]!;
    const request: FingerprintedRequest = {
      headers,
      method: view.method,
      path: view.path,
      mcp: mcpSummary(mcp),
      identity: input.identity === undefined ? undefined : structuredClone(input.identity),
    };
    cache!.store(policy, cache!.fingerprintKey(policy, keyed.minute, keyed.fingerprint.key), deepFreeze({ ...cached, request }));
  }

  function checkFingerprint(fp: RequestFingerprint, read: () => CheckRequestWire): CheckOutcome | undefined {
    if (!fingerprints) return undefined;
    const policy = opts.policy();
    if (!policy || policy.nondeterministic) return undefined;
    const started = performance.now();
    const nowMs = now();
    const t = createStages(undefined);
    const entry = t.stage('cache', () => cache!.lookupFingerprint(cache!.fingerprintKey(policy, minuteOf(nowMs), fp.key)));
    const hit = entry?.request;
    if (!entry || !hit) return undefined;
    const own = fp.id !== undefined;
    const mcp: McpInput = own ? { ...hit.mcp, id: fp.id! } : hit.mcp;
    const decision = own ? withRequestIds(entry.decision, entry.ids, [fp.id!]) : entry.decision;
    const view: RequestView = {
      input: (hit.identity === undefined ? { mcp } : { mcp, identity: hit.identity }) as PolicyInput,
      headers: { ...hit.headers, ...fp.headers },
      method: hit.method,
      path: hit.path,
    };
    const answered: Result =
      decision === entry.decision
        ? { view, policy, cache: 'hit', fingerprint: true, fingerprintEntry: hit, decision, response: entry.response }
        : respond(t, decision, { view, policy, cache: 'hit', fingerprint: true, fingerprintEntry: hit });
    answered.expand = () => {
      try {
        const request = read();
        const full = buildInput(request, decodeRequest(request), settings.limits, inputOptions);
        addNow(full.input, nowMs);
        if (hit.identity !== undefined) full.input.identity = structuredClone(hit.identity);
        return full;
      } catch {
        return undefined; // the partial view stays: a reader of the input never changes the answer
      }
    };
    return finish(answered, started, t, undefined);
  }

  function checkNow(request: CheckRequestWire): CheckOutcome | Promise<CheckOutcome> {
    const started = performance.now();
    const span = startSpan?.(request.attributes?.request?.http?.headers ?? {});
    const t = createStages(span ? (name) => span.child(name) : undefined);
    const policy = opts.policy();
    const internal = (err: unknown): Result =>
      fail(t, failureDecision(REASON.internalError, `internal error: ${(err as Error).message}`), policy ? { policy } : {});
    const done = (answered: Result): CheckOutcome => finish(answered, started, t, span);
    let result: Result | Promise<Result>;
    try {
      result = run(request, policy, t);
    } catch (err) {
      result = internal(err);
    }
    return result instanceof Promise ? result.then(done, (err: unknown) => done(internal(err))) : done(result);
  }

  return {
    checkNow,
    check: async (request) => checkNow(request),
    fingerprints,
    checkFingerprint,
  };
}

/** A request's fingerprint and the minute of its check (`input.now`), for storing it with the answer. */
interface Keyed {
  fingerprint: RequestFingerprint;
  minute: number;
}

const minuteOf = (ms: number): number => Math.floor(ms / 60_000);

/** The volatile fields a fingerprint can leave out: the cache's header names, and the paths it can find in bytes. */
function fingerprintSpec(volatile: { headers: readonly string[]; paths: readonly (readonly string[])[] }): FingerprintSpec {
  const has = (path: string): boolean => volatile.paths.some((p) => p.join('.') === path);
  return {
    volatileHeaders: new Set(volatile.headers.map((h) => h.toLowerCase())),
    requestTime: has('attributes.request.time'),
    httpId: has('attributes.request.http.id'),
    sourcePort: has('attributes.source.address.socketAddress.portValue'),
  };
}

/** `input.mcp` of a single message, without what only a reader of the whole input needs (params, arguments). */
function mcpSummary(mcp: McpInput): McpInput {
  const out: McpInput = { is_batch: false };
  for (const k of ['method', 'id', 'tool', 'uri', 'name', 'is_notification', 'is_response', 'session_id', 'protocol_version'] as const) {
    if (mcp[k] !== undefined) (out as unknown as Record<string, unknown>)[k] = mcp[k];
  }
  return out;
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
