import type { ReasonCode } from '../shared/errors.js';

/** A JSON value as the policy sees it. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

/** `input.mcp.error`: why the body is not a valid MCP JSON-RPC message. */
export interface McpError {
  code: ReasonCode;
  message: string;
  /** `header_mismatch`: -32020, the JSON-RPC error code the denial carries (MCP 2026-07-28). */
  jsonrpc_code?: number;
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
  /** URL facts for every URL string in the message (see docs/input.md "Input facts"). */
  urls?: unknown[];
  /** PII and secret findings in the message, with their paths. */
  findings?: unknown[];
  /** Documents (JSON / form-encoded strings) found in the arguments or params, parsed or marked unparseable. */
  documents?: unknown[];
  /** The walk hit its bound; some strings were not inspected. */
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
  /** MCP 2026-07-28 (SEP-2243) mirrored headers `Mcp-Method`, `Mcp-Name`, `Mcp-Param-*`, decoded. */
  headers?: { method?: string; name?: string; params?: Record<string, string> };
  /** One entry per message when the body is a JSON array (a batch). */
  batch?: McpMessage[];
  is_batch: boolean;
  error?: McpError;
}
