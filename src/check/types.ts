import type { ReasonCode } from '../shared/errors.js';
import type { Json, JsonObject, McpInput } from '../mcp/types.js';

export type { Json, JsonObject, McpError, McpInput } from '../mcp/types.js';

/** The OPA input document. Compatible with OPA's Envoy plugin, plus `mcp` (and later facts). */
export interface PolicyInput {
  attributes: JsonObject;
  parsed_path: string[];
  parsed_query: Record<string, string[]>;
  /** Absent when the body was not parsed (deleted once the input is complete). */
  parsed_body?: Json | undefined;
  truncated_body: boolean;
  source_principal?: string;
  version: { encoding: string; ext_authz: string };
  mcp?: McpInput;
  [extra: string]: unknown;
}

/** A header to set; `append_action` is always explicit on the wire. */
export interface HeaderEntry {
  key: string;
  value: string;
  /** Envoy HeaderValueOption.HeaderAppendAction name. */
  appendAction: 'APPEND_IF_EXISTS_OR_ADD' | 'ADD_IF_ABSENT' | 'OVERWRITE_IF_EXISTS_OR_ADD' | 'OVERWRITE_IF_EXISTS';
}

export type DecisionKind = 'allow' | 'deny' | 'require_approval';

/** A validated decision. Built only by check/decision.ts (from a policy result) or from a server-side failure. */
export interface Decision {
  allowed: boolean;
  kind: DecisionKind;
  reasonCode: ReasonCode;
  /** HTTP status for a denial (default 403). */
  httpStatus: number;
  /** Allow: headers added to the upstream request. Deny: headers on the denial response. */
  headers: HeaderEntry[];
  requestHeadersToRemove: string[];
  responseHeadersToAdd: HeaderEntry[];
  queryParametersToSet: { key: string; value: string }[];
  queryParametersToRemove: string[];
  /** Denial body. When absent, response.ts renders the standard JSON body. */
  body?: string;
  dynamicMetadata?: JsonObject;
  rule?: string;
  message?: string;
  /** require_approval: a stable id of the request (agent, tools, canonical arguments), for the approval workflow. */
  approvalId?: string;
  /** Set when an approved grant turned require_approval into this allow: who approved it (src/approvals). */
  approvedBy?: string;
  /** The policy answered a bare boolean (OPA's Envoy plugin then sends no HTTP response fields, only the status). */
  bare?: true;
}
