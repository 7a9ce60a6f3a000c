import type { CompatProfile } from '../check/profile.js';
import { mcpAuthzProfile } from '../check/profiles/mcp-authz.js';
import { opaEnvoyProfile } from '../check/profiles/opa-envoy.js';
import type { CheckSettings } from '../check/settings.js';
import type { Config } from '../config/schema.js';
import { APPROVAL_ID_HEADER } from '../shared/headers.js';

/**
 * The check settings every entry point shares (serve and the offline `check` command). `validHttpStatus` is the
 * set of HTTP statuses Envoy accepts in a denied response (envoy/http-status.ts reads it from the descriptors).
 */
export function checkSettings(cfg: Config, validHttpStatus: ReadonlySet<number>): CheckSettings {
  const profile = compatProfile(cfg);
  return {
    limits: { maxBytes: cfg.body.max_bytes, maxDepth: cfg.body.max_depth, maxBatch: cfg.body.max_batch },
    malformed: cfg.body.malformed,
    rawBodyInInput: cfg.body.raw_in_input,
    decision: {
      validHttpStatus,
      defaultDenyStatus: cfg.decision.deny_status,
      defaultApprovalStatus: cfg.decision.approval_status,
      limits: {
        maxHeaderBytes: cfg.decision.max_header_bytes,
        maxBodyBytes: cfg.decision.max_body_bytes,
        maxMetadataBytes: cfg.decision.max_metadata_bytes,
      },
    },
    // The approval header is only ever set by an approved grant (src/approvals): a client cannot forge it upstream.
    // Under compat: opa-envoy the plugin's policies ask for no approvals, and removals are only the decision's.
    response: {
      managedHeaders: cfg.approvals.enabled && profile.managesApprovalHeader ? [...cfg.headers.managed, APPROVAL_ID_HEADER] : cfg.headers.managed,
    },
    profile,
  };
}

/** `compat`: `opa-envoy`, or `auto` with an entrypoint in the plugin's `envoy/` namespace (e.g. envoy/authz/allow); else mcp-authz's own. */
const compatProfile = (cfg: Config): CompatProfile =>
  cfg.compat === 'opa-envoy' || (cfg.compat === 'auto' && cfg.policy.entrypoint.startsWith('envoy/')) ? opaEnvoyProfile : mcpAuthzProfile;
