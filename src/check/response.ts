import type { HeaderValueOption } from '../generated/proto/envoy/config/core/v3/HeaderValueOption.js';
import type { CheckResponse } from '../generated/proto/envoy/service/auth/v3/CheckResponse.js';
import type { StatusCode } from '../generated/proto/envoy/type/v3/StatusCode.js';
import type { Struct } from '../generated/proto/google/protobuf/Struct.js';
import type { Value } from '../generated/proto/google/protobuf/Value.js';
import type { Decision, HeaderEntry, Json, JsonObject } from './types.js';
import { isMalformedBody } from './failure.js';
import { separatorTwins } from './header-twins.js';
import { APPROVAL_ID_HEADER } from '../shared/headers.js';

/** Headers only mcp-authz may set: removed from the upstream request on every allow (a client cannot forge them). */
export const RESERVED_REQUEST_HEADERS: readonly string[] = [APPROVAL_ID_HEADER];

/** google.rpc.Code values used in CheckResponse.status. */
export const GRPC_OK = 0;
export const GRPC_PERMISSION_DENIED = 7;

export interface ResponseOptions {
  /**
   * Headers mcp-authz may inject. Each one the decision does not set is removed from the upstream request, so
   * a client can never forge it (the ones it sets are overwritten).
   */
  managedHeaders: readonly string[];
}

/**
 * A CheckResponse as proto-loader serialises it (keepCase field names; the type is generated from the .proto), with
 * the status that toCheckResponse always sets (Envoy reads an unset status as an allow).
 */
export type CheckResponseWire = CheckResponse & {
  status: { code: number; message?: string };
  ok_response?: { headers: WireHeader[]; headers_to_remove: string[]; response_headers_to_add: WireHeader[] };
  denied_response?: { status: { code: StatusCode }; headers: WireHeader[]; body: string };
};
type WireHeader = HeaderValueOption;
type WireValue = Value;
type WireStruct = Struct;

/**
 * Decision → CheckResponse, as mcp-authz answers (a compat profile may answer otherwise: src/check/profile.ts). Pure.
 * The status is ALWAYS set: OK only for an allow, PERMISSION_DENIED for everything else (Envoy treats an unset
 * status as an allow). Every header carries an explicit append_action.
 */
export function toCheckResponse(decision: Decision, opts: ResponseOptions): CheckResponseWire {
  const metadata = decision.dynamicMetadata ? { dynamic_metadata: toStruct(decision.dynamicMetadata) } : {};
  if (decision.allowed && decision.kind === 'allow') {
    const setNames = new Set(decision.headers.map((h) => h.key.toLowerCase()));
    // Every managed, reserved, removed or injected header goes, in every `-`/`_` spelling but the one set.
    const removals = new Set<string>();
    for (const name of decision.requestHeadersToRemove) for (const twin of separatorTwins(name)) removals.add(twin);
    for (const twin of staticRemovals(opts)) removals.add(twin);
    for (const name of setNames) for (const twin of separatorTwins(name)) removals.add(twin);
    return {
      status: { code: GRPC_OK },
      ok_response: {
        headers: decision.headers.map(wireHeader),
        headers_to_remove: [...removals].filter((name) => !setNames.has(name)),
        response_headers_to_add: decision.responseHeadersToAdd.map(wireHeader),
        query_parameters_to_set: decision.queryParametersToSet,
        query_parameters_to_remove: decision.queryParametersToRemove,
      },
      ...metadata,
    };
  }

  const headers = [...decision.headers];
  if (decision.approvalId) headers.push({ key: APPROVAL_ID_HEADER, value: decision.approvalId, appendAction: 'OVERWRITE_IF_EXISTS_OR_ADD' });
  let body = decision.body;
  if (body === undefined) {
    body = denialBody(decision);
    if (!headers.some((h) => h.key.toLowerCase() === 'content-type')) {
      headers.push({ key: 'content-type', value: 'application/json', appendAction: 'OVERWRITE_IF_EXISTS_OR_ADD' });
    }
  }
  return {
    status: { code: GRPC_PERMISSION_DENIED, message: statusMessage(decision) },
    // httpStatus is one of the envoy.type.v3.StatusCode values (validated in decision.ts, or a configured default).
    denied_response: { status: { code: decision.httpStatus as StatusCode }, headers: headers.map(wireHeader), body },
    ...metadata,
  };
}

/** The spellings of the managed and reserved headers, computed once per options (they are fixed at startup). */
const STATIC_REMOVALS = new WeakMap<ResponseOptions, readonly string[]>();

function staticRemovals(opts: ResponseOptions): readonly string[] {
  let names = STATIC_REMOVALS.get(opts);
  if (names === undefined) {
    names = [...new Set([...opts.managedHeaders, ...RESERVED_REQUEST_HEADERS].flatMap(separatorTwins))];
    STATIC_REMOVALS.set(opts, names);
  }
  return names;
}

/** The standard denial body: `{"error":"policy_denied","rule":…,"message":…}` (or the failure's error class). */
export function denialBody(decision: Decision): string {
  const error =
    decision.kind === 'require_approval'
      ? 'approval_required'
      : decision.reasonCode === 'policy_denied'
        ? 'policy_denied'
        : isMalformedBody(decision.reasonCode)
          ? 'invalid_request'
          : 'authz_error';
  const body: Record<string, string> = { error };
  if (error !== 'policy_denied' && error !== 'approval_required') body.code = decision.reasonCode;
  body.rule = decision.rule ?? decision.reasonCode;
  body.message = decision.message ?? defaultMessage(decision);
  if (decision.approvalId) body.approval_id = decision.approvalId;
  return JSON.stringify(body);
}

function defaultMessage(d: Decision): string {
  return d.kind === 'require_approval' ? 'this request requires approval' : 'request denied by policy';
}

function statusMessage(d: Decision): string {
  const rule = d.rule ? ` (${d.rule})` : '';
  return `${d.reasonCode}${rule}`;
}

export const wireHeader = (h: HeaderEntry): WireHeader => ({ header: { key: h.key, value: h.value }, append_action: h.appendAction });

/** Plain JSON object → google.protobuf.Struct in proto-loader's keepCase form. */
export function toStruct(obj: JsonObject): WireStruct {
  const fields: Record<string, WireValue> = {};
  for (const [k, v] of Object.entries(obj)) fields[k] = toValue(v);
  return { fields };
}

function toValue(v: Json): WireValue {
  if (v === null) return { nullValue: 'NULL_VALUE' };
  if (typeof v === 'boolean') return { boolValue: v };
  if (typeof v === 'number') return { numberValue: v };
  if (typeof v === 'string') return { stringValue: v };
  if (Array.isArray(v)) return { listValue: { values: v.map(toValue) } };
  return { structValue: toStruct(v) };
}
