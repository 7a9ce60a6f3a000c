import { REASON } from '../shared/errors.js';
import type { Json, JsonObject, McpError, McpInput, McpMessage } from './types.js';
import { foldKey } from './fold-key.js';
import { MCP_METHOD } from './methods.js';
import { METHOD_HEADER, NAME_HEADER, PARAM_HEADER_PREFIX } from '../shared/headers.js';

/**
 * MCP request metadata headers (2026-07-28, SEP-2243): `Mcp-Method`, `Mcp-Name`, `Mcp-Param-{Name}` mirror body
 * fields so gateways can route without reading the body. A gateway routing on a header while the server executes
 * the body is a smuggling vector, so (as the specification requires of servers that read the body) every such
 * header that is present must match the body, whatever the protocol version, and a request declaring 2026-07-28 or
 * later must carry the required ones. A failure is `header_mismatch`: HTTP 400 with JSON-RPC error -32020.
 *
 * Header names are compared case-insensitively and with `_` read as `-` (many proxies fold them together), so
 * `mcp_method` counts as `Mcp-Method`. Values in the `=?base64?…?=` sentinel form are decoded before comparing.
 */

/** JSON-RPC error code of HeaderMismatch (MCP 2026-07-28). */
export const HEADER_MISMATCH_JSONRPC_CODE = -32020;

/** The first protocol version whose requests must carry Mcp-Method / Mcp-Name. */
export const HEADERS_REQUIRED_FROM = '2026-07-28';
/** The first protocol version without JSON-RPC batching (removed in 2025-06-18). */
export const BATCHES_REMOVED_IN = '2025-06-18';

/** `input.mcp.headers`: the mirrored headers as sent, Base64 sentinels decoded. */
export interface StandardHeaders {
  method?: string;
  name?: string;
  /** `Mcp-Param-{Name}` by lower-case Name. */
  params?: Record<string, string>;
}

const NAME_METHODS: Record<string, 'name' | 'uri'> = {
  [MCP_METHOD.toolsCall]: 'name',
  [MCP_METHOD.promptsGet]: 'name',
  [MCP_METHOD.resourcesRead]: 'uri',
};

const SENTINEL = /^=\?base64\?([A-Za-z0-9+/]*={0,2})\?=$/;
const PLAIN_VALUE = /^[\x20-\x7e\t]*$/;
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** A header value as the client meant it, or undefined when it is malformed (invalid characters or encoding). */
export function decodeHeaderValue(value: string): string | undefined {
  const m = SENTINEL.exec(value);
  if (m) {
    if (m[1]!.length % 4 !== 0) return undefined;
    try {
      return utf8.decode(Buffer.from(m[1]!, 'base64'));
    } catch {
      return undefined;
    }
  }
  if (value.startsWith('=?base64?')) return undefined;
  return PLAIN_VALUE.test(value) ? value : undefined;
}

/** A date-shaped version at or after `from`; any other non-empty version string counts as current (strict). */
export function versionAtLeast(version: string | undefined, from: string): boolean {
  if (version === undefined || version === '') return false;
  return /^\d{4}-\d{2}-\d{2}$/.test(version) ? version >= from : true;
}

const isObject = (v: Json | undefined): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The name starts with "mcp" in any case (the prefix of Mcp-Method, Mcp-Name and Mcp-Param-*), read without copying it. */
function startsWithMcp(name: string): boolean {
  return name.length > 3 && (name.charCodeAt(0) | 0x20) === 0x6d && (name.charCodeAt(1) | 0x20) === 0x63 && (name.charCodeAt(2) | 0x20) === 0x70;
}

/**
 * Validate the mirrored headers against the parsed body and expose them as `mcp.headers`. Returns the error to
 * set on `input.mcp` (also when the body was a batch a 2025-06-18+ client may not send), or undefined.
 */
export function checkStandardHeaders(mcp: McpInput, headers: Record<string, string>): McpError | undefined {
  const found: { method: string[]; name: string[]; params: Map<string, string[]> } = { method: [], name: [], params: new Map() };
  for (const rawName in headers) {
    if (!Object.hasOwn(headers, rawName) || !startsWithMcp(rawName)) continue; // every mirrored header starts with "mcp"
    const value = headers[rawName];
    if (typeof value !== 'string') continue;
    const name = rawName.toLowerCase().replaceAll('_', '-');
    if (name === METHOD_HEADER) found.method.push(value);
    else if (name === NAME_HEADER) found.name.push(value);
    else if (name.startsWith(PARAM_HEADER_PREFIX) && name.length > PARAM_HEADER_PREFIX.length) {
      const key = name.slice(PARAM_HEADER_PREFIX.length);
      found.params.set(key, [...(found.params.get(key) ?? []), value]);
    }
  }
  const version = mcp.protocol_version;
  const exposed: StandardHeaders = {};
  const mismatch = (message: string): McpError => ({
    code: REASON.headerMismatch,
    message: `Header mismatch: ${message}`,
    jsonrpc_code: HEADER_MISMATCH_JSONRPC_CODE,
  });

  const single = (label: string, values: string[]): string | McpError | undefined => {
    if (values.length === 0) return undefined;
    if (values.length > 1) return mismatch(`more than one ${label} header`);
    const v = decodeHeaderValue(values[0]!);
    return v === undefined ? mismatch(`the ${label} header value is malformed`) : v;
  };
  const method = single('Mcp-Method', found.method);
  if (typeof method === 'object') return method;
  const name = single('Mcp-Name', found.name);
  if (typeof name === 'object') return name;
  if (method !== undefined) exposed.method = method;
  if (name !== undefined) exposed.name = name;
  const params: Record<string, string> = {};
  for (const [key, values] of found.params) {
    const v = single(`Mcp-Param-${key}`, values);
    if (typeof v === 'object') return v;
    params[key] = v!;
  }
  if (found.params.size > 0) exposed.params = params;
  if (Object.keys(exposed).length > 0) mcp.headers = exposed;

  if (mcp.error) return undefined; // the body is already refused; the headers are only exposed
  if (mcp.is_batch) {
    if (versionAtLeast(version, BATCHES_REMOVED_IN)) {
      return { code: REASON.jsonrpcBatchNotAllowed, message: `protocol version ${version} has no JSON-RPC batches: send one message per request` };
    }
    if (method !== undefined || name !== undefined || found.params.size > 0)
      return mismatch('a batch cannot be described by one set of Mcp-Method / Mcp-Name headers');
    return undefined;
  }
  return checkMessage(mcp as McpMessage, { method, name, params }, version, mismatch);
}

function checkMessage(
  m: McpMessage,
  h: { method: string | undefined; name: string | undefined; params: Record<string, string> },
  version: string | undefined,
  mismatch: (message: string) => McpError,
): McpError | undefined {
  const modern = versionAtLeast(version, HEADERS_REQUIRED_FROM);
  if (m.is_response) {
    if (modern) return { code: REASON.jsonrpcInvalidRequest, message: `protocol version ${version} clients do not POST JSON-RPC responses` };
    if (h.method !== undefined || h.name !== undefined) return mismatch('a JSON-RPC response has no method or name');
    return undefined;
  }
  const params = isObject(m.params) ? m.params : undefined;
  if (modern) {
    const bodyVersion = params && isObject(params._meta) ? params._meta['io.modelcontextprotocol/protocolVersion'] : undefined;
    if (bodyVersion !== undefined && bodyVersion !== version) {
      return mismatch(`MCP-Protocol-Version header value '${version}' does not match body value '${String(bodyVersion)}'`);
    }
  }
  if (h.method === undefined) {
    if (modern && !m.is_notification) return mismatch('the Mcp-Method header is required');
  } else if (h.method !== m.method) {
    return mismatch(`Mcp-Method header value '${h.method}' does not match body value '${m.method}'`);
  }
  const source = NAME_METHODS[m.method!];
  const bodyName = params ? (source ? params[source] : typeof params.name === 'string' ? params.name : params.uri) : undefined;
  if (h.name === undefined) {
    if (modern && source && !m.is_notification) return mismatch('the Mcp-Name header is required');
  } else if (typeof bodyName !== 'string' || h.name !== bodyName) {
    return mismatch(`Mcp-Name header value '${h.name}' does not match body value '${typeof bodyName === 'string' ? bodyName : ''}'`);
  }
  const paramNames = Object.keys(h.params);
  if (paramNames.length > 0) {
    const args = m.method === MCP_METHOD.toolsCall && isObject(m.arguments) ? m.arguments : undefined;
    if (!args) return mismatch('Mcp-Param-* headers on a request without tool arguments');
    const byFold = new Map(Object.keys(args).map((k) => [foldKey(k), k]));
    for (const p of paramNames) {
      const key = byFold.get(foldKey(p));
      // An annotation may name a nested property (the tool's inputSchema says which): only top-level ones can be
      // matched here. The header is still in input.mcp.headers.params for the policy.
      if (key === undefined) continue;
      if (!sameParam(h.params[p]!, args[key]!)) return mismatch(`Mcp-Param-${p} header value does not match body value of argument ${key}`);
    }
  }
  return undefined;
}

/** SEP-2243 value conversion: strings as is, integers in decimal (compared numerically), booleans lower case. */
function sameParam(header: string, body: Json): boolean {
  if (typeof body === 'string') return header === body;
  if (typeof body === 'boolean') return header === String(body);
  if (typeof body === 'number') return Number.isSafeInteger(body) && /^-?\d+(?:\.0+)?$/.test(header) && Number(header) === body;
  return false; // null, objects and arrays are never mirrored
}
