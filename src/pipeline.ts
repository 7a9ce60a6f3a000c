import type { CheckHooks, CheckSettings } from './authz/check.js';
import type { RequestView } from './authz/request.js';
import type { PolicyInput } from './authz/types.js';
import { addArgumentFacts, addNow } from './facts/enrich.js';
import { createIdentityResolver } from './identity/resolve.js';
import type { Config } from './config/schema.js';
import type { Descriptors } from './grpc/descriptors.js';
import { envoyHttpStatusCodes } from './grpc/http-status.js';

/** The check settings every entry point shares (serve and the offline `check` command). */
export function checkSettings(cfg: Config, descriptors: Descriptors): CheckSettings {
  return {
    limits: { maxBytes: cfg.body.max_bytes, maxDepth: cfg.body.max_depth, maxBatch: cfg.body.max_batch },
    malformed: cfg.body.malformed,
    decision: {
      validHttpStatus: envoyHttpStatusCodes(descriptors.packageDefinition),
      defaultDenyStatus: cfg.decision.deny_status,
      defaultApprovalStatus: cfg.decision.approval_status,
      limits: { maxHeaderBytes: cfg.decision.max_header_bytes, maxBodyBytes: cfg.decision.max_body_bytes, maxMetadataBytes: cfg.decision.max_metadata_bytes },
    },
    response: { managedHeaders: cfg.headers.managed },
  };
}

/**
 * Hooks that enrich the input before evaluation: argument facts (input.mcp.urls, input.mcp.findings),
 * input.now and input.identity. Key material (JWKS) is loaded here, once. The cache is added by the server only.
 */
export function enrichHooks(cfg: Config): CheckHooks {
  const identity = createIdentityResolver(cfg.identity);
  return {
    enrich: async (input: PolicyInput, view: RequestView) => {
      addArgumentFacts(input);
      addNow(input);
      input.identity = await identity.resolve({
        headers: view.headers,
        path: view.path,
        ...(input.source_principal ? { sourcePrincipal: input.source_principal } : {}),
      });
    },
  };
}
