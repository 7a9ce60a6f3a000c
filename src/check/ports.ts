import type { Identity, IdentityRequest } from '../identity/resolve.js';
import type { Decision, PolicyInput } from './types.js';

/**
 * What the check declares and the composition root (src/server/) supplies, as opa-envoy-plugin's envoyauth
 * declares its EvalContext: the core never sees the configuration, the engine or the stores behind these.
 */

/** The policy a check runs against, as the check reads it (the Rego/WASM engine's Policy satisfies it). */
export interface Policy {
  revision: string;
  entrypoint: string;
  /** The module's and the data's digests: with the revision, they identify the policy to the decision cache. */
  sha256: string;
  dataSha256: string;
  /** True when the policy calls a non-deterministic builtin: its decisions are cached only briefly, if at all. */
  nondeterministic: boolean;
  /**
   * False when the compiled policy provably cannot read the facts (`input.mcp.urls`, `findings`, `documents`,
   * `facts_truncated`; rego-wasm/facts-reach.ts): the check then does not compute them. Absent: it can.
   */
  readsFacts?: boolean;
  /** What the policy was built from; the check reads the data document (its declared documents, src/facts). */
  artifact?: { dataJson?: string };
  /** Evaluate the entrypoint; returns OPA's raw result set. Throws on evaluation failure. */
  evaluate(input: unknown): unknown;
}

/**
 * Evaluates the policy's entrypoint and returns OPA's raw result set. The default runs it in-process; an evaluator
 * that can be stopped (a thread with a deadline) plugs in here. A rejection or throw is an evaluation failure (the
 * check denies with policy_eval_error; one whose `code` is `policy_timeout`, with that code).
 */
export type Evaluator<P extends Policy = Policy> = (policy: P, input: PolicyInput) => unknown | Promise<unknown>;

/** Resolves `input.identity` (JWT, SPIFFE, payload header). */
export interface IdentityResolver {
  resolve(req: IdentityRequest): Identity | Promise<Identity>;
  /**
   * True when `resolve` is a function of the request alone (no token to verify against keys or the clock): the
   * decision cache may then answer a request from its bytes (docs/decision-cache.md). Absent: it may not.
   */
  readonly pure?: boolean;
}

/**
 * The approvals step, after the validated decision, on hits and misses alike: given a require_approval with its
 * approval id, an approved grant may turn it into an allow, a rejection into a deny. Only ever called for
 * require_approval decisions; its result is not cached.
 */
export type ApprovalGate = (decision: Decision, input: PolicyInput, revision: string | undefined) => Promise<Decision>;
