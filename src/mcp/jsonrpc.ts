import { REASON } from '../errors.js';
import type { Json, JsonObject, McpError, McpMessage } from './types.js';

const isObject = (v: Json | undefined): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

export type MessageResult = { ok: true; message: McpMessage } | { ok: false; error: McpError };

/**
 * Validate one JSON-RPC 2.0 message as MCP uses it and extract the fields policies match on.
 * `params` and `arguments` are the values exactly as sent: nothing is dropped or normalised, so the policy sees
 * what the upstream MCP server will see.
 */
export function readMessage(value: Json): MessageResult {
  if (!isObject(value)) return fail(REASON.jsonrpcInvalidRequest, 'a JSON-RPC message must be an object');
  if (value.jsonrpc !== '2.0') return fail(REASON.jsonrpcInvalidVersion, 'jsonrpc must be "2.0"');

  const hasId = Object.hasOwn(value, 'id');
  const id = value.id;
  if (hasId && !(typeof id === 'string' || (typeof id === 'number' && Number.isInteger(id)))) {
    return fail(REASON.jsonrpcInvalidId, 'id must be a string or an integer (MCP forbids null ids)');
  }

  const method = value.method;
  if (method === undefined) {
    const isResponse = Object.hasOwn(value, 'result') || Object.hasOwn(value, 'error');
    if (!isResponse) return fail(REASON.jsonrpcMissingMethod, 'method is required');
    if (!hasId) return fail(REASON.jsonrpcInvalidId, 'a response must carry the id of its request');
    return { ok: true, message: { id: id as string | number, is_notification: false, is_response: true } };
  }
  if (typeof method !== 'string' || method === '') return fail(REASON.jsonrpcMissingMethod, 'method must be a non-empty string');

  const message: McpMessage = { method, is_notification: !hasId, is_response: false };
  if (hasId) message.id = id as string | number;

  if (Object.hasOwn(value, 'params')) {
    const params = value.params as Json;
    if (!isObject(params) && !Array.isArray(params)) {
      return fail(REASON.jsonrpcInvalidRequest, 'params must be an object or an array');
    }
    message.params = params;
    if (isObject(params)) {
      const problem = extractMethodFields(method, params, message);
      if (problem) return { ok: false, error: problem };
    }
  } else if (method === 'tools/call' || method === 'resources/read' || method === 'prompts/get') {
    return fail(REASON.jsonrpcInvalidRequest, `${method} requires params`);
  }
  return { ok: true, message };
}

function extractMethodFields(method: string, params: JsonObject, message: McpMessage): McpError | undefined {
  switch (method) {
    case 'tools/call': {
      if (typeof params.name !== 'string' || params.name === '') {
        return { code: REASON.jsonrpcInvalidRequest, message: 'tools/call params.name must be a non-empty string' };
      }
      message.tool = params.name;
      if (Object.hasOwn(params, 'arguments')) {
        if (!isObject(params.arguments as Json)) {
          return { code: REASON.jsonrpcInvalidRequest, message: 'tools/call params.arguments must be an object' };
        }
        message.arguments = params.arguments as Json;
      }
      return undefined;
    }
    case 'resources/read':
    case 'resources/subscribe':
    case 'resources/unsubscribe':
      if (typeof params.uri !== 'string') return { code: REASON.jsonrpcInvalidRequest, message: `${method} params.uri must be a string` };
      message.uri = params.uri;
      return undefined;
    case 'prompts/get':
      if (typeof params.name !== 'string') return { code: REASON.jsonrpcInvalidRequest, message: 'prompts/get params.name must be a string' };
      message.name = params.name;
      return undefined;
    default:
      return undefined;
  }
}

const fail = (code: McpError['code'], message: string): MessageResult => ({ ok: false, error: { code, message } });
