/** A JSON-RPC 2.0 error response as mcp-authz recognises one: `jsonrpc: "2.0"`, an `error` object, no `result`. */
export type JsonRpcErrorResponse = Record<string, unknown> & { jsonrpc: '2.0'; error: Record<string, unknown> };

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export const isJsonRpcErrorResponse = (m: unknown): m is JsonRpcErrorResponse =>
  isObject(m) && m.jsonrpc === '2.0' && isObject(m.error) && !Object.hasOwn(m, 'result');

/**
 * A denial body that is one JSON-RPC error response or a non-empty batch of them (none a success): the parsed body
 * and its error responses, in order. Anything else (not JSON, an HTTP-style body, a mixed batch) is undefined.
 */
export function jsonRpcErrorBody(body: string): { parsed: unknown; errors: JsonRpcErrorResponse[] } | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return undefined;
  }
  const errors: unknown[] = Array.isArray(parsed) ? parsed : [parsed];
  if (errors.length === 0 || !errors.every(isJsonRpcErrorResponse)) return undefined;
  return { parsed, errors: errors as JsonRpcErrorResponse[] };
}
