import { toStruct } from './response.js';
import type { JsonObject } from '../mcp/types.js';
import type { CheckRequestWire } from './request.js';

/**
 * A CheckRequest as Envoy would send it for an MCP POST with this body and these headers (names lower-cased).
 * Used by `mcp-authz check --body` so an offline dry run goes through exactly the serving pipeline.
 */
export function requestForBody(
  body: string,
  headers: Record<string, string>,
  opts: { path?: string | undefined; principal?: string | undefined } = {},
): CheckRequestWire {
  const lower: Record<string, string> = { 'content-type': 'application/json' };
  for (const [k, v] of Object.entries(headers)) lower[k.toLowerCase()] = v;
  const attributes: NonNullable<CheckRequestWire['attributes']> = {
    request: { http: { method: 'POST', path: opts.path ?? '/mcp', host: 'localhost', protocol: 'HTTP/1.1', headers: lower, body } },
  };
  if (opts.principal) attributes.source = { principal: opts.principal };
  return { attributes };
}

/**
 * A CheckRequest given as JSON. Accepts protojson field names (what grpcurl takes: rawBody, socketAddress) and
 * proto names (raw_body, socket_address); converts to the proto-loader (keepCase) form the pipeline reads.
 */
export function requestFromJson(value: unknown): CheckRequestWire {
  return snakeCase(value, '') as CheckRequestWire;
}

const VERBATIM_MAPS = new Set(['headers', 'labels', 'context_extensions']);

function snakeCase(value: unknown, parentKey: string): unknown {
  if (Array.isArray(value)) return value.map((v) => snakeCase(v, parentKey));
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    if (VERBATIM_MAPS.has(parentKey)) {
      out[k] = v;
      continue;
    }
    if (parentKey === 'filter_metadata') {
      // protojson Struct (plain JSON) → proto-loader Struct form
      out[k] = toStruct((v ?? {}) as JsonObject);
      continue;
    }
    const key = k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
    if (key === 'raw_body' && typeof v === 'string') out[key] = Buffer.from(v, 'base64');
    else if (key === 'time' && typeof v === 'string') out[key] = timestamp(v);
    else out[key] = snakeCase(v, key);
  }
  return out;
}

function timestamp(rfc3339: string): { seconds: string; nanos: number } {
  const ms = Date.parse(rfc3339);
  return { seconds: String(Math.floor(ms / 1000)), nanos: (ms % 1000) * 1e6 };
}

/** A CheckRequest with extra request headers and a source principal (a case file's `headers` and `principal`). */
export function withExtras(req: CheckRequestWire, headers: Record<string, string>, principal?: string): CheckRequestWire {
  if (Object.keys(headers).length) {
    const http = (((req.attributes ??= {}).request ??= {}).http ??= {});
    http.headers = { ...(http.headers ?? {}), ...headers };
  }
  if (principal) (req.attributes ??= {}).source = { ...(req.attributes?.source ?? {}), principal };
  return req;
}
