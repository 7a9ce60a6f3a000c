import type { ReasonCode } from '../errors.js';

/** A JSON value as the policy sees it. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

/** `input.mcp.error`: why the body is not a valid MCP JSON-RPC message. */
export interface McpError {
  code: ReasonCode;
  message: string;
}

/** One JSON-RPC message as the policy sees it (also one entry of `input.mcp.batch`). */
export interface McpMessage {
  /** JSON-RPC method, e.g. `tools/call`. Absent for responses. */
  method?: string;
  /** The request id (string or number); absent for notifications. */
  id?: string | number;
  is_notification: boolean;
  /** True when the message is a JSON-RPC response (has result or error, no method). */
  is_response: boolean;
  /** `params` exactly as sent. */
  params?: Json;
  /** `tools/call`: `params.name`. */
  tool?: string;
  /** `tools/call`: `params.arguments`, exactly as sent. */
  arguments?: Json;
  /** `tools/call`: URL facts for every URL string in the arguments (see README "Input facts"). */
  urls?: unknown[];
  /** `tools/call`: PII and secret findings in the arguments, with their paths. */
  findings?: unknown[];
  /** `tools/call`: the argument walk hit its bound; some strings were not inspected. */
  facts_truncated?: boolean;
  /** `resources/read`: `params.uri`. */
  uri?: string;
  /** `prompts/get`: `params.name`. */
  name?: string;
}

/** `input.mcp`. For a single message the fields of McpMessage are at the top level. */
export interface McpInput extends Partial<McpMessage> {
  /** From the `Mcp-Session-Id` header. */
  session_id?: string;
  /** From the `MCP-Protocol-Version` header. */
  protocol_version?: string;
  /** One entry per message when the body is a JSON array (a batch). */
  batch?: McpMessage[];
  is_batch: boolean;
  error?: McpError;
}

/** The OPA input document. Compatible with OPA's Envoy plugin, plus `mcp` (and later facts). */
export interface PolicyInput {
  attributes: JsonObject;
  parsed_path: string[];
  parsed_query: Record<string, string[]>;
  parsed_body: Json | undefined;
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

/** A validated decision. Built only by authz/decision.ts (from a policy result) or from a server-side failure. */
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
}
