import { REASON } from '../shared/errors.js';
import type { McpError } from '../mcp/types.js';

/**
 * A request that asks to leave HTTP request/response: an `Upgrade` header (WebSocket, h2c, anything), `upgrade`
 * among the `Connection` tokens, HTTP/2 extended CONNECT (a `:protocol` pseudo-header, RFC 8441) or CONNECT
 * itself. ext_authz sees only the request that opens the connection; every message sent on it afterwards would go
 * unchecked, so an upgrade is never allowed. MCP needs none: Streamable HTTP is POSTs, and its SSE stream is a
 * plain GET response (allowed as before).
 */
export function protocolUpgrade(method: string, headers: Record<string, string>): McpError | undefined {
  const connection = (headers.connection ?? '').split(',').map((t) => t.trim().toLowerCase());
  const asked =
    headers.upgrade !== undefined
      ? `Upgrade: ${headers.upgrade}`
      : connection.includes('upgrade')
        ? 'Connection: upgrade'
        : headers[':protocol'] !== undefined
          ? `extended CONNECT (:protocol ${headers[':protocol']})`
          : method.toUpperCase() === 'CONNECT'
            ? 'CONNECT'
            : undefined;
  if (asked === undefined) return undefined;
  return {
    code: REASON.requestUpgradeUnsupported,
    message: `${asked}: a protocol upgrade is never allowed, since the messages sent after it would not be checked`,
  };
}
