import { REASON, type ReasonCode } from '../errors.js';
import { HEADER_NAME } from '../http-token.js';
import type { Decision, DecisionKind, HeaderEntry, Json, JsonObject } from './types.js';

export type DecisionResult = { ok: true; decision: Decision } | { ok: false; code: ReasonCode; message: string };

export interface DecisionOptions {
  /** HTTP status codes Envoy accepts in a denied response (envoy.type.v3.StatusCode values). */
  validHttpStatus: ReadonlySet<number>;
  /** Status for a denial that names none. */
  defaultDenyStatus: number;
  /** Status for require_approval when the policy names none. */
  defaultApprovalStatus: number;
}

// Header values: visible ASCII, space, tab and obs-text; never CR, LF, NUL or other controls.
const HEADER_VALUE = /^[\t\x20-\x7e\x80-\uffff]*$/;
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
  if (typeof raw === 'boolean') return { ok: true, decision: base(raw, raw ? 'allow' : 'deny', opts) };
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
  for (const name of d.requestHeadersToRemove) if (!HEADER_NAME.test(name)) problems.push(`request_headers_to_remove: invalid header name ${JSON.stringify(name)}`);

  if (raw.body !== undefined) {
    if (typeof raw.body === 'string') d.body = raw.body;
    else problems.push('"body" must be a string');
  }
  if (raw.http_status !== undefined) {
    const s = raw.http_status;
    if (typeof s !== 'number' || !Number.isInteger(s) || !opts.validHttpStatus.has(s)) {
      problems.push(`"http_status" ${JSON.stringify(s)} is not an HTTP status Envoy accepts`);
    } else if (!d.allowed) {
      d.httpStatus = s;
    }
  }
  if (raw.dynamic_metadata !== undefined) {
    if (isObject(raw.dynamic_metadata)) d.dynamicMetadata = raw.dynamic_metadata as JsonObject;
    else problems.push('"dynamic_metadata" must be an object');
  }
  for (const field of ['rule', 'message'] as const) {
    const v = raw[field];
    if (v === undefined) continue;
    if (typeof v === 'string') d[field] = v;
    else problems.push(`"${field}" must be a string`);
  }

  if (problems.length > 0) return invalid(problems.join('; '));
  return { ok: true, decision: d };
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
        if (typeof item !== 'string' || !HEADER_VALUE.test(item)) {
          problems.push(`${field}: header ${key} must have string values without control characters`);
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
    const values = Array.isArray(v) ? v : [v];
    for (const item of values) {
      if (typeof item === 'string') out.push({ key, value: item });
      else problems.push(`query_parameters_to_set: ${key} must be a string or an array of strings`);
    }
  }
  return out;
}

const isObject = (v: unknown): v is Record<string, Json | undefined> => typeof v === 'object' && v !== null && !Array.isArray(v);
const describe = (v: unknown): string => (v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v);
const invalid = (message: string): DecisionResult => ({ ok: false, code: REASON.decisionInvalid, message: `invalid policy decision: ${message}` });
