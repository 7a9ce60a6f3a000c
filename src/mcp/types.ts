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
