/**
 * Header names mcp-authz itself reads or injects, each spelled once (docs/decisions-and-errors.md). Lower case, as
 * Envoy hands headers to ext_authz.
 */

/** Names the approval on an allowed (approved) request and on a require_approval denial; reserved: a client cannot send it. */
export const APPROVAL_HEADER = 'x-mcp-authz-approval-id';

/** The decision mcp-authz injects for the upstream when the policy asks for it; reserved as well. */
export const DECISION_HEADER = 'x-mcp-authz-decision';
