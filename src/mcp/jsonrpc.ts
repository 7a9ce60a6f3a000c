import { REASON } from '../shared/errors.js';
import type { Json, JsonObject, McpError, McpMessage } from './types.js';
import { foldKey } from './fold-key.js';
import { MCP_METHOD } from './methods.js';

const isObject = (v: Json | undefined): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

export type MessageResult = { ok: true; message: McpMessage } | { ok: false; error: McpError };

/**
 * Validate one JSON-RPC 2.0 message as MCP uses it and extract the fields policies match on.
 * `params` and `arguments` are the values exactly as sent: nothing is dropped or normalised, so the policy sees
 * what the upstream MCP server will see.
 */
export function readMessage(value: Json): MessageResult {
  if (!isObject(value)) return fail(REASON.jsonrpcInvalidRequest, 'a JSON-RPC message must be an object');
  const variant = caseVariant(value, MESSAGE_KEYS);
  if (variant) return fail(REASON.bodyKeyCaseVariant, `message key ${JSON.stringify(variant[0])} is a case variant of ${JSON.stringify(variant[1])}`);
  if (value.jsonrpc !== '2.0') return fail(REASON.jsonrpcInvalidVersion, 'jsonrpc must be "2.0"');

  const hasId = Object.hasOwn(value, 'id');
  const id = value.id;
  if (hasId && !(typeof id === 'string' || (typeof id === 'number' && Number.isInteger(id)))) {
    return fail(REASON.jsonrpcInvalidId, 'id must be a string or an integer (MCP forbids null ids)');
  }

  const method = value.method;
  if (method === undefined) {
    const hasResult = Object.hasOwn(value, 'result');
    const hasError = Object.hasOwn(value, 'error');
    if (!hasResult && !hasError) return fail(REASON.jsonrpcMissingMethod, 'method is required');
    if (!hasId) return fail(REASON.jsonrpcInvalidId, 'a response must carry the id of its request');
    // A response has exactly one of result and error, and nothing a request has: anything else is not one
    // message a reader could agree on (the policy would judge a response an upstream might read as a request).
    if (hasResult && hasError) return fail(REASON.jsonrpcInvalidRequest, 'a response has either result or error, not both');
    if (Object.hasOwn(value, 'params')) return fail(REASON.jsonrpcInvalidRequest, 'a response has no params');
    return { ok: true, message: { id: id as string | number, is_notification: false, is_response: true } };
  }
  if (typeof method !== 'string' || method === '') return fail(REASON.jsonrpcMissingMethod, 'method must be a non-empty string');

  const message: McpMessage = { method, is_notification: !hasId, is_response: false };
  if (hasId) message.id = id as string | number;

  if (Object.hasOwn(value, 'params')) {
    const params = value.params as Json;
    if (Array.isArray(params)) {
      // JSON-RPC allows positional params; MCP defines none, and no rule could find a tool name or argument in them.
      return fail(REASON.jsonrpcInvalidParams, 'params must be an object (MCP defines no positional params)');
    }
    if (!isObject(params)) return fail(REASON.jsonrpcInvalidRequest, 'params must be an object');
    const pv = caseVariant(params, PARAM_KEYS);
    if (pv) return fail(REASON.bodyKeyCaseVariant, `params key ${JSON.stringify(pv[0])} is a case variant of ${JSON.stringify(pv[1])}`);
    message.params = params;
    const problem = extractMethodFields(method, params, message);
    if (problem) return { ok: false, error: problem };
  } else if (PARAMS_REQUIRED.has(method)) {
    return fail(REASON.jsonrpcInvalidRequest, `${method} requires params`);
  }
  return { ok: true, message };
}

function extractMethodFields(method: string, params: JsonObject, message: McpMessage): McpError | undefined {
  switch (method) {
    case MCP_METHOD.toolsCall: {
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
    case MCP_METHOD.resourcesRead:
    case MCP_METHOD.resourcesSubscribe:
    case MCP_METHOD.resourcesUnsubscribe:
      if (typeof params.uri !== 'string') return { code: REASON.jsonrpcInvalidRequest, message: `${method} params.uri must be a string` };
      message.uri = params.uri;
      return undefined;
    case MCP_METHOD.promptsGet:
      if (typeof params.name !== 'string') return { code: REASON.jsonrpcInvalidRequest, message: 'prompts/get params.name must be a string' };
      if (Object.hasOwn(params, 'arguments') && !isObject(params.arguments as Json)) {
        return { code: REASON.jsonrpcInvalidRequest, message: 'prompts/get params.arguments must be an object' };
      }
      message.name = params.name;
      return undefined;
    case MCP_METHOD.completionComplete:
      if (!isObject(params.ref as Json) || !isObject(params.argument as Json)) {
        return { code: REASON.jsonrpcInvalidRequest, message: 'completion/complete params.ref and params.argument must be objects' };
      }
      return undefined;
    default:
      return undefined;
  }
}

/** Keys JSON-RPC and MCP define on a message. */
const MESSAGE_KEYS = ['jsonrpc', 'id', 'method', 'params', 'result', 'error'];

/** Keys MCP defines in the params of its requests (any method). */
const PARAM_KEYS = [
  'name',
  'arguments',
  'uri',
  '_meta',
  'cursor',
  'ref',
  'argument',
  'context',
  'level',
  'protocolVersion',
  'capabilities',
  'clientInfo',
  'task',
  'messages',
  'systemPrompt',
  'includeContext',
  'temperature',
  'maxTokens',
  'stopSequences',
  'metadata',
  'modelPreferences',
  'requestedSchema',
  'message',
  'mode',
  'progressToken',
  'requestId',
  'reason',
  'inputResponses',
  'elicitationId',
  'url',
  'taskId',
  'progress',
  'total',
  'data',
  'logger',
];

const PARAMS_REQUIRED = new Set<string>([
  MCP_METHOD.toolsCall,
  MCP_METHOD.resourcesRead,
  MCP_METHOD.resourcesSubscribe,
  MCP_METHOD.resourcesUnsubscribe,
  MCP_METHOD.promptsGet,
  MCP_METHOD.completionComplete,
]);

const folded = (keys: string[]): Map<string, string> => new Map(keys.map((k) => [foldKey(k), k]));
const MESSAGE_FOLDED = folded(MESSAGE_KEYS);
const PARAM_FOLDED = folded(PARAM_KEYS);

/**
 * A key spelled differently from a protocol key it folds to (`Method`, `ARGUMENTS`, `na\u017Fme`): a Go upstream
 * reads it as that protocol key, JSON.parse as another key. `[key, protocol key]`, or undefined.
 */
function caseVariant(obj: JsonObject, keys: string[]): [string, string] | undefined {
  const table = keys === MESSAGE_KEYS ? MESSAGE_FOLDED : PARAM_FOLDED;
  for (const k of Object.keys(obj)) {
    if (keys.includes(k)) continue;
    const protocolKey = table.get(foldKey(k));
    if (protocolKey !== undefined) return [k, protocolKey];
  }
  return undefined;
}

const fail = (code: McpError['code'], message: string): MessageResult => ({ ok: false, error: { code, message } });
