import { malformedDecision } from '../failure.js';
import type { CompatProfile } from '../profile.js';
import { toCheckResponse } from '../response.js';

/**
 * mcp-authz's own profile (`compat: none`, docs/input.md and docs/decisions-and-errors.md): parsed_body only when
 * the body parsed as JSON, a malformed body denied with its code unless `body.malformed` is `policy`, the standard
 * denial body, no decision id in the response.
 */
export const mcpAuthzProfile: CompatProfile = {
  input(view, _body, opts) {
    const input = view.input;
    if (input.parsed_body === undefined) delete input.parsed_body;
    else if (opts.rawBody === 'unparsed' && !input.mcp?.error) {
      const h = (input.attributes.request as Record<string, unknown> | undefined)?.http as Record<string, unknown> | undefined;
      if (h) {
        delete h.body;
        delete h.rawBody;
      }
    }
    return view;
  },
  refuse(view, malformed) {
    const error = view.input.mcp?.error;
    return error && malformed === 'deny' ? { decision: malformedDecision(error, view.input.mcp) } : undefined;
  },
  respond: toCheckResponse,
  withDecisionId: () => undefined,
  managesApprovalHeader: true,
};
