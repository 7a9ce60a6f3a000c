/** Build CheckRequests the way Envoy sends them for an MCP POST. */
export function mcpCheckRequest(
  message: unknown,
  opts: { headers?: Record<string, string>; rawBody?: boolean; path?: string; method?: string } = {},
) {
  const body = typeof message === 'string' ? message : JSON.stringify(message);
  const http: Record<string, unknown> = {
    id: '7433617387390386455',
    method: opts.method ?? 'POST',
    path: opts.path ?? '/mcp',
    host: 'mcp.127-0-0-1.sslip.io',
    scheme: 'http',
    protocol: 'HTTP/1.1',
    headers: {
      ':authority': 'mcp.127-0-0-1.sslip.io',
      ':method': 'POST',
      ':path': '/mcp',
      'content-type': 'application/json',
      'x-request-id': 'f3a0c1d2',
      ...opts.headers,
    },
    size: String(Buffer.byteLength(body)),
  };
  if (opts.rawBody) http.raw_body = Buffer.from(body);
  else http.body = body;
  return {
    attributes: {
      source: {
        address: { socket_address: { address: '10.1.2.3', port_value: 52000 } },
        principal: 'spiffe://cluster.local/ns/agents/sa/support-agent',
      },
      destination: { address: { socket_address: { address: '10.1.9.9', port_value: 8080 } } },
      request: { time: { seconds: '1735689600', nanos: 0 }, http },
    },
  };
}

export const toolCall = (tool: string, args: Record<string, unknown>, id: number | string = 2) => ({
  jsonrpc: '2.0',
  id,
  method: 'tools/call',
  params: { name: tool, arguments: args },
});
