import type { BodyView } from '../mcp/parse-body.js';
import type { InputOptions, RequestView } from './request.js';
import type { CheckResponseWire, ResponseOptions } from './response.js';
import type { Decision } from './types.js';

/**
 * A compat profile (config key `compat`, docs/opa-envoy-compat.md): the places where a check answers as one server
 * or another does. The pipeline calls its profile at each of them and never tests which one it has; one file per
 * profile in profiles/: mcp-authz.ts (mcp-authz's own, `compat: none`) and opa-envoy.ts (OPA's Envoy plugin).
 * src/server/check-settings.ts chooses one from the config, once (CheckSettings.profile).
 *
 * Every hook is synchronous, and allocates nothing for a check it leaves as it is (the hot path is benchmarked).
 *
 * The decision cache (src/cache) reads only the document `input` finishes: it leaves the raw body out of its key
 * when parsed_body stands for it (present, not null, the whole body, no input.mcp.error). So a profile's parsed_body
 * is absent, null, or the parse of the whole body, never a part of it.
 */
export interface CompatProfile {
  /**
   * Input: finishes the document buildInput built (mutating it): parsed_body as this profile presents it (buildInput
   * leaves there the JSON parse, or undefined), and whether the raw body stays beside it (`opts.rawBody`).
   */
  input(view: RequestView, body: BodyView, opts: InputOptions): RequestView;
  /**
   * Refusal: after the refusals of every mode (REFUSED_ALWAYS), a body this profile answers itself, before the
   * policy; undefined when the policy decides. `malformed` is `body.malformed`.
   */
  refuse(view: RequestView, malformed: 'deny' | 'policy'): Refusal | undefined;
  /** Respond: decision → CheckResponse. */
  respond(decision: Decision, opts: ResponseOptions): CheckResponseWire;
  /**
   * Once per check, the response about to be sent: a copy carrying the id of its decision (the decision log uses the
   * same), or undefined when it goes as it is.
   */
  withDecisionId(response: CheckResponseWire): { response: CheckResponseWire; decisionId: string } | undefined;
  /** Whether the approval header is managed (removed from the upstream request) when approvals are on. */
  readonly managesApprovalHeader: boolean;
}

/** A check the profile answers before the policy: its decision, and its own response when it is not `respond`'s. */
export interface Refusal {
  decision: Decision;
  response?: CheckResponseWire;
}
