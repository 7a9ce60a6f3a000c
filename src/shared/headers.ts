/** The headers mcp-authz itself names. Each is spelled here once. */

/** The header naming the approval on an allowed (approved) request, and on a require_approval denial. */
export const APPROVAL_HEADER = 'x-mcp-authz-approval-id';
