import { REASON, type ReasonCode } from '../shared/errors.js';
import { HEADER_NAME } from '../shared/http-token.js';
import { jsonRpcErrorBody } from '../mcp/jsonrpc-error.js';
import type { Decision, DecisionKind, HeaderEntry, Json, JsonObject } from './types.js';
import { isFieldValue, isLabel, isQueryKey, isQueryValue, isWellFormed, structSize, utf8Bytes } from './wire-strings.js';

export type DecisionResult = { ok: true; decision: Decision } | { ok: false; code: ReasonCode; message: string };

export interface DecisionOptions {
  /** HTTP status codes Envoy accepts in a denied response (envoy.type.v3.StatusCode values). */
  validHttpStatus: ReadonlySet<number>;
  /** Status for a denial that names none. */
  defaultDenyStatus: number;
  /** Status for require_approval when the policy names none. */
  defaultApprovalStatus: number;
  /** Size bounds (config `decision.max_*`); defaults below. */
  limits?: DecisionLimits;
}

/** Bounds on what a decision may put on the wire (UTF-8 bytes). Beyond them: `decision_too_large`. */
export interface DecisionLimits {
  /** Headers, response headers and query parameters: names plus values, all together. */
  maxHeaderBytes: number;
  /** The denial body (the policy's `body`, or the standard body built from `rule` and `message`). */
  maxBodyBytes: number;
  /** `dynamic_metadata`: keys and strings, plus 8 bytes per other value. */
  maxMetadataBytes: number;
}

/** Well under gRPC's default 4 MiB message limit and Envoy's default 60 KiB header limit. */
export const DEFAULT_DECISION_LIMITS: DecisionLimits = { maxHeaderBytes: 16 * 1024, maxBodyBytes: 64 * 1024, maxMetadataBytes: 16 * 1024 };
/** `rule` is a label (logs, metrics, the gRPC status message): short and printable. */
export const MAX_RULE_BYTES = 256;
/** Struct nesting Envoy can decode (its protobuf recursion limit is 100). */
const MAX_METADATA_DEPTH = 32;
const KINDS: readonly DecisionKind[] = ['allow', 'deny', 'require_approval'];

/**
 * A policy's raw result set → a validated Decision. The result is never trusted: anything but a boolean or a
 * well-formed decision object is an error, and every error is a denial upstream (never an allow).
 *
 * Accepted shapes (OPA's Envoy plugin plus mcp-authz fields):
 *   true | false
 *   { allowed, headers, request_headers_to_remove, response_headers_to_add, query_parameters_to_set,
 *     query_parameters_to_remove, body, http_status, dynamic_metadata, decision, rule, message }
 */
export function interpretResult(resultSet: unknown, opts: DecisionOptions): DecisionResult {
  if (!Array.isArray(resultSet) || resultSet.length === 0) {
    return { ok: false, code: REASON.decisionUndefined, message: 'the policy decision is undefined' };
  }
  if (resultSet.length > 1) {
    return { ok: false, code: REASON.decisionInvalid, message: 'the policy produced more than one result' };
  }
  const first = resultSet[0] as { result?: unknown } | null;
  if (!first || typeof first !== 'object' || !('result' in first)) {
    return { ok: false, code: REASON.decisionUndefined, message: 'the policy decision is undefined' };
  }
  return validateDecision(first.result, opts);
}

export function validateDecision(raw: unknown, opts: DecisionOptions): DecisionResult {
  const limits = opts.limits ?? DEFAULT_DECISION_LIMITS;
  if (typeof raw === 'boolean') return { ok: true, decision: { ...base(raw, raw ? 'allow' : 'deny', opts), bare: true } };
  if (!isObject(raw)) return invalid(`expected a boolean or an object, got ${describe(raw)}`);

  const problems: string[] = [];
  const allowed = raw.allowed;
  if (typeof allowed !== 'boolean') problems.push('"allowed" must be a boolean');

  let kind: DecisionKind = allowed === true ? 'allow' : 'deny';
  if (raw.decision !== undefined) {
    if (typeof raw.decision !== 'string' || !KINDS.includes(raw.decision as DecisionKind)) {
      problems.push('"decision" must be one of allow, deny, require_approval');
    } else {
      kind = raw.decision as DecisionKind;
      if ((kind === 'allow') !== (allowed === true)) problems.push(`"decision": "${kind}" contradicts "allowed": ${String(allowed)}`);
    }
  }

  const d = base(allowed === true, kind, opts);
  d.headers = headerList(raw.headers, 'headers', problems);
  d.responseHeadersToAdd = headerList(raw.response_headers_to_add, 'response_headers_to_add', problems);
  d.requestHeadersToRemove = stringList(raw.request_headers_to_remove, 'request_headers_to_remove', problems);
  d.queryParametersToRemove = stringList(raw.query_parameters_to_remove, 'query_parameters_to_remove', problems);
  d.queryParametersToSet = queryParams(raw.query_parameters_to_set, problems);
  for (const name of d.requestHeadersToRemove)
    if (!HEADER_NAME.test(name)) problems.push(`request_headers_to_remove: invalid header name ${JSON.stringify(name)}`);
  for (const name of d.queryParametersToRemove)
    if (!isQueryKey(name)) problems.push(`query_parameters_to_remove: ${JSON.stringify(name)} is not a query parameter name (percent-encode it)`);

  if (raw.body !== undefined) {
    if (typeof raw.body !== 'string') problems.push('"body" must be a string');
    else if (!isWellFormed(raw.body)) problems.push('"body" is not valid Unicode (lone surrogate)');
    else d.body = raw.body;
  }
  if (raw.http_status !== undefined) {
    const s = raw.http_status;
    if (typeof s !== 'number' || !Number.isInteger(s) || !opts.validHttpStatus.has(s)) {
      problems.push(`"http_status" ${JSON.stringify(s)} is not an HTTP status Envoy accepts`);
    } else if (!d.allowed) {
      d.httpStatus = s;
    }
  }
  if (!d.allowed && d.httpStatus < 300 && !(d.httpStatus === 200 && isJsonRpcError(d.body))) {
    problems.push(`"http_status" ${d.httpStatus} on a denial would read as success (only 200 with a JSON-RPC error body is accepted)`);
  }
  if (raw.dynamic_metadata !== undefined) {
    if (isObject(raw.dynamic_metadata)) d.dynamicMetadata = raw.dynamic_metadata as JsonObject;
    else problems.push('"dynamic_metadata" must be an object');
  }
  for (const field of ['rule', 'message'] as const) {
    const v = raw[field];
    if (v === undefined) continue;
    if (typeof v !== 'string') problems.push(`"${field}" must be a string`);
    else if (field === 'rule' && !isLabel(v)) problems.push('"rule" must be printable text without control characters');
    else if (!isWellFormed(v)) problems.push(`"${field}" is not valid Unicode (lone surrogate)`);
    else d[field] = v;
  }
  if (problems.length > 0) return invalid(problems.join('; '));
  return checkSizes(d, limits);
}

/** Size bounds, after the shape is known to be valid. */
function checkSizes(d: Decision, limits: DecisionLimits): DecisionResult {
  const problems: string[] = [];
  let headerBytes = 0;
  for (const h of d.headers) headerBytes += utf8Bytes(h.key) + utf8Bytes(h.value);
  for (const h of d.responseHeadersToAdd) headerBytes += utf8Bytes(h.key) + utf8Bytes(h.value);
  for (const q of d.queryParametersToSet) headerBytes += q.key.length + q.value.length;
  for (const n of d.requestHeadersToRemove) headerBytes += n.length;
  for (const n of d.queryParametersToRemove) headerBytes += n.length;
  if (headerBytes > limits.maxHeaderBytes)
    problems.push(`headers and query parameters take ${headerBytes} bytes (limit decision.max_header_bytes = ${limits.maxHeaderBytes})`);
  if (d.rule !== undefined && utf8Bytes(d.rule) > MAX_RULE_BYTES) problems.push(`"rule" is longer than ${MAX_RULE_BYTES} bytes`);
  if (!d.allowed) {
    // The standard body carries rule and message, JSON-escaped, plus about 100 bytes of fixed text.
    const bodyBytes =
      d.body !== undefined ? utf8Bytes(d.body) : utf8Bytes(JSON.stringify(d.message ?? '')) + utf8Bytes(JSON.stringify(d.rule ?? '')) + 128;
    if (bodyBytes > limits.maxBodyBytes)
      problems.push(`the denial body takes ${bodyBytes} bytes (limit decision.max_body_bytes = ${limits.maxBodyBytes})`);
  } else if (d.message !== undefined && utf8Bytes(d.message) > limits.maxBodyBytes) {
    problems.push(`"message" takes more than decision.max_body_bytes = ${limits.maxBodyBytes} bytes`);
  }
  if (d.dynamicMetadata) {
    const size = structSize(d.dynamicMetadata, MAX_METADATA_DEPTH);
    if ('problem' in size) return invalid(size.problem);
    if (size.bytes > limits.maxMetadataBytes)
      problems.push(`dynamic_metadata takes ${size.bytes} bytes (limit decision.max_metadata_bytes = ${limits.maxMetadataBytes})`);
  }
  if (problems.length > 0) return { ok: false, code: REASON.decisionTooLarge, message: `policy decision too large: ${clip(problems.join('; '))}` };
  return { ok: true, decision: d };
}

/**
 * A body that is a JSON-RPC error response (or a batch of them, none a success): the one case where a denial may
 * go out as HTTP 200, because MCP clients read JSON-RPC errors from the body (the pack's `denial_format: jsonrpc`).
 */
function isJsonRpcError(body: string | undefined): boolean {
  return body !== undefined && jsonRpcErrorBody(body) !== undefined;
}

function base(allowed: boolean, kind: DecisionKind, opts: DecisionOptions): Decision {
  return {
    allowed,
    kind,
    reasonCode: kind === 'allow' ? REASON.allowed : kind === 'deny' ? REASON.policyDenied : REASON.approvalRequired,
    httpStatus: kind === 'require_approval' ? opts.defaultApprovalStatus : opts.defaultDenyStatus,
    headers: [],
    requestHeadersToRemove: [],
    responseHeadersToAdd: [],
    queryParametersToSet: [],
    queryParametersToRemove: [],
  };
}

/** Headers as OPA's Envoy plugin accepts them: an object (string or string[] values) or an array of such objects. */
function headerList(value: unknown, field: string, problems: string[]): HeaderEntry[] {
  if (value === undefined) return [];
  const objects = Array.isArray(value) ? value : [value];
  const out: HeaderEntry[] = [];
  for (const obj of objects) {
    if (!isObject(obj)) {
      problems.push(`"${field}" must be an object or an array of objects`);
      continue;
    }
    for (const [key, v] of Object.entries(obj)) {
      const values = Array.isArray(v) ? v : [v];
      if (!HEADER_NAME.test(key)) {
        problems.push(`${field}: invalid header name ${JSON.stringify(key)}`);
        continue;
      }
      // The first value replaces what the request carries (anti-forgery); further values are appended.
      values.forEach((item, i) => {
        if (typeof item !== 'string' || !isFieldValue(item)) {
          problems.push(`${field}: header ${key} must have string values without control characters (C0, DEL, C1, U+2028, U+2029)`);
          return;
        }
        out.push({ key, value: item, appendAction: i === 0 ? 'OVERWRITE_IF_EXISTS_OR_ADD' : 'APPEND_IF_EXISTS_OR_ADD' });
      });
    }
  }
  return out;
}

function stringList(value: unknown, field: string, problems: string[]): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) {
    problems.push(`"${field}" must be an array of strings`);
    return [];
  }
  return value as string[];
}

function queryParams(value: unknown, problems: string[]): { key: string; value: string }[] {
  if (value === undefined) return [];
  if (!isObject(value)) {
    problems.push('"query_parameters_to_set" must be an object');
    return [];
  }
  const out: { key: string; value: string }[] = [];
  for (const [key, v] of Object.entries(value)) {
    if (!isQueryKey(key)) {
      problems.push(
        `query_parameters_to_set: ${JSON.stringify(key)} is not a query parameter name (no &, =, #, spaces or controls; percent-encode it)`,
      );
      continue;
    }
    const values = Array.isArray(v) ? v : [v];
    for (const item of values) {
      if (typeof item !== 'string') problems.push(`query_parameters_to_set: ${key} must be a string or an array of strings`);
      else if (!isQueryValue(item))
        problems.push(`query_parameters_to_set: the value of ${key} must be percent-encoded (no &, #, spaces or controls)`);
      else out.push({ key, value: item });
    }
  }
  return out;
}

const isObject = (v: unknown): v is Record<string, Json | undefined> => typeof v === 'object' && v !== null && !Array.isArray(v);
const describe = (v: unknown): string => (v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v);
const invalid = (message: string): DecisionResult => ({
  ok: false,
  code: REASON.decisionInvalid,
  message: `invalid policy decision: ${clip(message)}`,
});
/** Problem descriptions quote the policy's strings: keep them short in logs and denial bodies. */
const clip = (s: string): string => (s.length > 500 ? `${s.slice(0, 500)}…` : s);
