import { createHash } from 'node:crypto';
import { canonicalJson } from '../cache/canonical-key.js';
import type { PolicyInput } from './types.js';
import { MCP_METHOD } from '../mcp/methods.js';

/**
 * A stable id for a request that needs approval: SHA-256 over the canonical JSON (keys sorted at every depth) of
 * the agent and every tool call's name and arguments. The same agent asking for the same call gets the same id,
 * whatever the JSON-RPC id, key order or request time — so an approval workflow can match a retry to its approval.
 */
export function approvalId(input: PolicyInput): string {
  const mcp = input.mcp;
  const calls = (mcp?.batch ?? (mcp ? [mcp] : []))
    .filter((m) => m.method === MCP_METHOD.toolsCall)
    .map((m) => ({ tool: m.tool ?? null, arguments: m.arguments ?? null }));
  const agent = (input.identity as { agent?: string } | undefined)?.agent ?? null;
  return `sha256:${createHash('sha256').update(canonicalJson({ agent, calls })).digest('hex')}`;
}
