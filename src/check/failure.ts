import { FAILURE_STATUS, MALFORMED_STATUS, type ReasonCode } from '../shared/errors.js';
import type { Decision, McpError, McpInput } from './types.js';

/**
 * A denial the server decides on its own: a malformed body (when `body.malformed` is `deny`), no policy
 * loaded, an evaluation error or an invalid decision. It is always a deny; the reason code names the cause.
 */
export function failureDecision(code: ReasonCode, message: string): Decision {
  return {
    allowed: false,
    kind: 'deny',
    reasonCode: code,
    httpStatus: MALFORMED_STATUS[code] ?? FAILURE_STATUS[code] ?? 403,
    headers: [],
    requestHeadersToRemove: [],
    responseHeadersToAdd: [],
    queryParametersToSet: [],
    queryParametersToRemove: [],
    rule: code,
    message,
  };
}

/** True for reason codes that describe a malformed request body (a client error), not a server failure. */
export const isMalformedBody = (code: ReasonCode): boolean => code in MALFORMED_STATUS;

/**
 * The server's denial of a malformed body (`input.mcp.error`). A `header_mismatch` is answered as the MCP
 * specification requires: HTTP 400 with a JSON-RPC error response (code -32020) echoing the request id.
 */
export function malformedDecision(error: McpError, mcp?: McpInput): Decision {
  const decision = failureDecision(error.code, error.message);
  if (error.jsonrpc_code !== undefined) {
    const id = mcp && !mcp.is_batch && mcp.id !== undefined ? mcp.id : null;
    decision.body = JSON.stringify({ jsonrpc: '2.0', id, error: { code: error.jsonrpc_code, message: error.message } });
    decision.headers.push({ key: 'content-type', value: 'application/json', appendAction: 'OVERWRITE_IF_EXISTS_OR_ADD' });
  }
  return decision;
}
