/**
 * The header names of mcp-authz's own contract, each spelled once: those it injects or reserves (x-mcp-authz-*),
 * and those it reads for their meaning (the MCP transport's headers, Envoy's partial-body flag). Lower case, as
 * Envoy hands headers to ext_authz. Each constant is named after its header (prefix x-mcp-authz-, x-envoy-auth- or
 * mcp- dropped, then upper snake case, then _HEADER). Listed in docs/decisions-and-errors.md (headers), pinned both
 * ways by test/docs/header-names.test.ts.
 */

/** Names the approval on an allowed (approved) request and on a require_approval denial; reserved: a client cannot send it. */
export const APPROVAL_ID_HEADER = 'x-mcp-authz-approval-id';

/** The decision mcp-authz injects for the upstream when the policy asks for it; reserved as well. */
export const DECISION_HEADER = 'x-mcp-authz-decision';

/** Envoy sets this request header when the forwarded body was cut at max_request_bytes: the body is truncated. */
export const PARTIAL_BODY_HEADER = 'x-envoy-auth-partial-body';

/** The MCP session (Streamable HTTP): `input.mcp.session_id`. */
export const SESSION_ID_HEADER = 'mcp-session-id';

/** The MCP protocol version the client speaks: `input.mcp.protocol_version`. */
export const PROTOCOL_VERSION_HEADER = 'mcp-protocol-version';

/** Mirrors the body's method (MCP 2026-07-28, SEP-2243); a disagreement is header_mismatch. */
export const METHOD_HEADER = 'mcp-method';

/** Mirrors the body's `params.name` or `params.uri` (SEP-2243). */
export const NAME_HEADER = 'mcp-name';

/** `Mcp-Param-{Name}` mirrors a tool argument (SEP-2243); the prefix of those names. */
export const PARAM_HEADER_PREFIX = 'mcp-param-';
