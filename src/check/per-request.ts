import { jsonRpcErrorBody } from '../mcp/jsonrpc-error.js';
import type { McpInput } from '../mcp/types.js';
import type { Decision } from './types.js';

export type JsonRpcId = string | number;

/**
 * The JSON-RPC ids of a request, one per message in order (a batch: each entry's id; `null` where a message has
 * none). Two requests that share a decision cache entry have the same messages up to these ids.
 */
export function requestIds(mcp: McpInput | undefined): (JsonRpcId | null)[] {
  if (!mcp) return [];
  if (mcp.batch) return mcp.batch.map((m) => m.id ?? null);
  return [mcp.id ?? null];
}

export function sameIds(a: readonly (JsonRpcId | null)[], b: readonly (JsonRpcId | null)[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * A cached denial answered for another request with the same messages but other JSON-RPC ids: its body, when it is
 * a JSON-RPC error response (or an array of them, for a batch), gets the current request's ids in its `id`
 * members — each old id is replaced by the id at the same position in the current request. Any other body is
 * returned unchanged. Pure.
 */
export function restampDenialBody(body: string, from: readonly (JsonRpcId | null)[], to: readonly (JsonRpcId | null)[]): string {
  if (from.length !== to.length) return body;
  const read = jsonRpcErrorBody(body);
  // Each error response must carry an id to be re-stamped.
  if (!read?.errors.every((e) => Object.hasOwn(e, 'id'))) return body;
  const { parsed, errors } = read;
  const map = new Map<unknown, JsonRpcId | null>();
  for (let i = 0; i < from.length; i++) {
    if (from[i] === null) continue;
    // Two messages with the same old id but different new ids: the answer cannot say which is which.
    if (map.has(from[i]) && map.get(from[i]) !== to[i]) return body;
    map.set(from[i], to[i]!);
  }
  for (const e of errors) if (map.has(e.id)) e.id = map.get(e.id)!;
  return JSON.stringify(parsed);
}

/** A copy of a shared (cached) decision with the denial body re-stamped for this request's ids. */
export function withRequestIds(decision: Decision, from: readonly (JsonRpcId | null)[], to: readonly (JsonRpcId | null)[]): Decision {
  if (decision.allowed || decision.body === undefined || sameIds(from, to)) return decision;
  const body = restampDenialBody(decision.body, from, to);
  return body === decision.body ? decision : { ...decision, body };
}
