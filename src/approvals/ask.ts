import type { Decision, Json, PolicyInput } from '../check/types.js';
import { type Redactor, scrub } from '../observability/redact.js';
import type { ApprovalAsk, ApprovalCall } from './types.js';
import { MCP_METHOD } from '../mcp/methods.js';

/**
 * What a require_approval check records: the agent, every tool call with its arguments redacted exactly as the
 * decision log redacts them (the same redaction paths), and the policy's rule and message (scrubbed of redacted
 * values). Runs only for require_approval decisions, never for allows.
 */
export function approvalAsk(input: PolicyInput, decision: Decision, revision: string | undefined, redactor: Redactor): ApprovalAsk {
  const { input: redacted, secrets } = redactor.redact(input);
  const mcp = (redacted as PolicyInput).mcp;
  const messages = mcp?.batch ?? (mcp ? [mcp] : []);
  const calls: ApprovalCall[] = messages
    .filter((m) => m.method === MCP_METHOD.toolsCall)
    .map((m) => ({ tool: m.tool ?? null, arguments: (m.arguments ?? null) as Json }));
  const agent = (input.identity as { agent?: unknown } | undefined)?.agent;
  const message = decision.message ?? null;
  return {
    id: decision.approvalId!,
    agent: typeof agent === 'string' ? agent : null,
    tools: calls.map((c) => c.tool ?? ''),
    calls,
    rule: decision.rule ?? null,
    message: message && secrets.length ? scrub(message, secrets) : message,
    revision: revision ?? null,
  };
}
