import type { BodyLimits } from '../mcp/parse-body.js';
import type { DecisionOptions } from './decision.js';
import type { CompatProfile } from './profile.js';
import type { ResponseOptions } from './response.js';

/** What the pure steps of a check need from the configuration (src/server/check-settings.ts builds it from the config). */
export interface CheckSettings {
  limits: BodyLimits;
  /** `deny`: the server denies a malformed body itself. `policy`: the policy decides, seeing input.mcp.error. */
  malformed: 'deny' | 'policy';
  /** `unparsed`: leave the raw body out of input.attributes when it parsed (parsed_body and input.mcp carry it). */
  rawBodyInInput?: 'always' | 'unparsed';
  decision: DecisionOptions;
  response: ResponseOptions;
  /** The compat profile (check/profile.ts, docs/opa-envoy-compat.md): chosen from `compat`. Default mcp-authz's own. */
  profile?: CompatProfile;
}
