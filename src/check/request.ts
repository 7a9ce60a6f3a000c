import type { CheckRequest__Output } from '../generated/proto/envoy/service/auth/v3/CheckRequest.js';
import type { Json, JsonObject, McpInput, PolicyInput } from './types.js';
import { attributesToJson } from './protojson.js';
import { protocolUpgrade } from './protocol-upgrade.js';
import { type BodyLimits, type BodyView, decodeBody, parseMcpBody } from '../mcp/parse-body.js';
import type { CompatProfile } from './profile.js';
import type { FINGERPRINT, RequestFingerprint } from './fingerprint.js';
import { mcpAuthzProfile } from './profiles/mcp-authz.js';
import { opaEnvoyProfile } from './profiles/opa-envoy.js';
import { checkStandardHeaders } from '../mcp/standard-headers.js';
import { PARTIAL_BODY_HEADER, PROTOCOL_VERSION_HEADER, SESSION_ID_HEADER } from '../shared/headers.js';

/**
 * `input.attributes` already in protojson form, set by a transport that reads the CheckRequest bytes itself
 * (envoy/check-request-reader.ts); its `attributes` then carry only the fields decodeRequest reads.
 */
export const ATTRIBUTES_JSON: unique symbol = Symbol('mcp-authz.attributesJson');

/**
 * A CheckRequest as proto-loader decodes it (keepCase, longs and enums as strings, bytes as Buffer, no defaults),
 * or the gRPC transport's direct reading of it, which also carries `input.attributes` (ATTRIBUTES_JSON) and, when
 * the request was fingerprinted and not answered by it, its fingerprint (FINGERPRINT, check/fingerprint.ts).
 */
export type CheckRequestWire = CheckRequest__Output & { [ATTRIBUTES_JSON]?: () => JsonObject; [FINGERPRINT]?: RequestFingerprint };

export interface RequestView {
  input: PolicyInput;
  /** Lower-cased request headers (header_map folded in when `headers` is empty). */
  headers: Record<string, string>;
  method: string;
  path: string;
  /** Why the body could not be parsed as the compat profile parses it (opa-envoy: a form body), for its `refuse`. */
  profileParseError?: string;
}

/** What the rest of the check reads from the wire request: headers, method, path and the body bytes as text. */
export interface DecodedRequest {
  /** Lower-cased request headers (header_map folded in when `headers` is empty). */
  headers: Record<string, string>;
  method: string;
  path: string;
  body: BodyView;
}

/** Decode: the wire request's HTTP attributes → headers, method, path, body view. Pure and total. */
export function decodeRequest(req: CheckRequestWire): DecodedRequest {
  const http = req.attributes?.request?.http ?? {};
  const headers = collectHeaders(http);
  return { headers, method: (http.method ?? '').toUpperCase(), path: http.path ?? '', body: bodyView(http, headers) };
}

export interface InputOptions {
  /**
   * `unparsed`: when the body parsed as JSON-RPC, leave its raw text (`attributes.request.http.body` / `rawBody`) out
   * of the input: `parsed_body` and `input.mcp` carry it, and the policy gets a smaller document to read.
   * Default `always`, as OPA's Envoy plugin.
   */
  rawBody?: 'always' | 'unparsed';
  /** The compat profile that finishes the document (check/profile.ts, CheckSettings.profile). Default mcp-authz's own. */
  profile?: CompatProfile;
  /** Without `profile`: `true` for the opa-envoy profile (parsed_body as OPA's Envoy plugin builds it), as `compat` says it. */
  opaEnvoy?: boolean;
}

/**
 * Input: the decoded request → the OPA input document. Pure and total: malformed bodies become `input.mcp.error`,
 * never throws for any decoded CheckRequest. The shape follows OPA's Envoy plugin (`attributes`, `parsed_path`,
 * `parsed_query`, `parsed_body`, `truncated_body`, `version`) so existing Envoy policies run unchanged;
 * `source_principal` and `mcp` are mcp-authz additions.
 */
export function buildInput(req: CheckRequestWire, decoded: DecodedRequest, limits: BodyLimits, opts: InputOptions = {}): RequestView {
  const { headers, method, path, body } = decoded;
  const http = req.attributes?.request?.http ?? {};
  const attributes = req[ATTRIBUTES_JSON]?.() ?? attributesToJson(req.attributes ?? {});
  if (!http.headers || Object.keys(http.headers).length === 0) {
    const request = (attributes.request ??= {}) as Record<string, unknown>;
    const h = (request.http ??= {}) as Record<string, unknown>;
    if (Object.keys(headers).length > 0) h.headers = headers;
  }

  const { parsedPath, parsedQuery } = parsePathAndQuery(path);

  const mcp: McpInput = { is_batch: false };
  let parsedBody: Json | undefined;
  if (method === 'POST' || body.byteLength > 0 || body.truncated) {
    const parsed = parseMcpBody(body, limits);
    Object.assign(mcp, parsed.mcp);
    parsedBody = parsed.parsedBody;
  }
  const sessionId = headers[SESSION_ID_HEADER];
  if (sessionId !== undefined) mcp.session_id = sessionId;
  const protocolVersion = headers[PROTOCOL_VERSION_HEADER];
  if (protocolVersion !== undefined) mcp.protocol_version = protocolVersion;
  if (parsedBody !== undefined) {
    const headerError = checkStandardHeaders(mcp, headers);
    if (headerError) mcp.error = headerError;
  }
  const upgrade = protocolUpgrade(method, headers);
  if (upgrade) mcp.error = upgrade;

  const input: PolicyInput = {
    attributes,
    parsed_path: parsedPath,
    parsed_query: parsedQuery,
    parsed_body: parsedBody,
    truncated_body: body.truncated,
    version: { encoding: 'protojson', ext_authz: 'v3' },
    mcp,
  };
  const principal = req.attributes?.source?.principal;
  if (principal) input.source_principal = principal;
  const profile = opts.profile ?? (opts.opaEnvoy ? opaEnvoyProfile : mcpAuthzProfile);
  return profile.input({ input, headers, method, path }, body, opts);
}

function collectHeaders(http: NonNullable<NonNullable<NonNullable<CheckRequestWire['attributes']>['request']>['http']>): Record<string, string> {
  if (http.headers && Object.keys(http.headers).length > 0) return http.headers;
  const out: Record<string, string> = {};
  for (const h of http.header_map?.headers ?? []) {
    if (!h.key) continue;
    const key = h.key.toLowerCase();
    const value = h.value ?? (h.raw_value ? Buffer.from(h.raw_value).toString('latin1') : '');
    out[key] = key in out ? `${out[key]},${value}` : value;
  }
  return out;
}

function bodyView(http: { body?: string; raw_body?: Buffer }, headers: Record<string, string>): BodyView {
  let view: BodyView;
  if (http.raw_body && http.raw_body.length > 0) {
    const decoded = decodeBody(http.raw_body);
    view = { ...decoded, byteLength: http.raw_body.length, truncated: false };
  } else if (http.body) {
    view = { text: http.body, byteLength: Buffer.byteLength(http.body), truncated: false };
  } else {
    view = { byteLength: 0, truncated: false };
  }
  const contentType = headers['content-type'];
  if (contentType !== undefined) view.contentType = contentType;
  view.truncated = headers[PARTIAL_BODY_HEADER]?.toLowerCase() === 'true' || declaredLongerThan(headers['content-length'], view.byteLength);
  return view;
}

/** OPA's Envoy plugin also treats a body shorter than its Content-Length as truncated. */
function declaredLongerThan(contentLength: string | undefined, actual: number): boolean {
  if (contentLength === undefined || !/^\d+$/.test(contentLength)) return false;
  return Number(contentLength) > actual;
}

/** `parsed_path` and `parsed_query` as OPA's Envoy plugin computes them (Go's url.Parse and Query). */
export function parsePathAndQuery(path: string): { parsedPath: string[]; parsedQuery: Record<string, string[]> } {
  const hash = path.indexOf('#');
  const noFragment = hash >= 0 ? path.slice(0, hash) : path;
  const q = noFragment.indexOf('?');
  const rawPath = q >= 0 ? noFragment.slice(0, q) : noFragment;
  const rawQuery = q >= 0 ? noFragment.slice(q + 1) : '';
  let decoded = rawPath;
  try {
    decoded = decodeURIComponent(rawPath);
  } catch {
    // keep the raw path: an invalid escape is the policy's to judge
  }
  const parsedPath = decoded.replace(/^\/+/, '').split('/');
  const parsedQuery: Record<string, string[]> = {};
  for (const [k, v] of new URLSearchParams(rawQuery)) (parsedQuery[k] ??= []).push(v);
  return { parsedPath, parsedQuery };
}
