import type { McpInput, McpMessage } from '../mcp/types.js';

/** The part of the policy input the facts read and write. */
type PolicyInput = { mcp?: McpInput; now?: unknown };
import { computeArgumentFacts } from './index.js';

type WithFacts = (McpInput | McpMessage) & { urls?: unknown; findings?: unknown; facts_truncated?: boolean };

/** Add `urls`, `findings` and `facts_truncated` to a tools/call message (and to each tools/call in a batch). */
export function addArgumentFacts(input: PolicyInput): void {
  const mcp = input.mcp;
  if (!mcp) return;
  const targets: WithFacts[] = mcp.batch ? mcp.batch : [mcp];
  for (const m of targets) {
    if (m.method !== 'tools/call') continue;
    const facts = computeArgumentFacts(m.arguments ?? {});
    m.urls = facts.urls;
    m.findings = facts.findings;
    m.facts_truncated = facts.truncated;
  }
}

/**
 * `input.now`: the check time truncated to the minute, so time-window rules (business hours) need no
 * non-deterministic builtin and decisions stay cacheable within a minute. Minute multiples of nanoseconds are
 * exact in a JSON number.
 */
export function addNow(input: PolicyInput, nowMs: number = Date.now()): void {
  const minuteMs = Math.floor(nowMs / 60_000) * 60_000;
  if (minuteMs !== lastMinute.ms) lastMinute = { ms: minuteMs, rfc3339: new Date(minuteMs).toISOString().replace('.000Z', 'Z') };
  input.now = { unix_ns: minuteMs * 1_000_000, rfc3339: lastMinute.rfc3339 };
}

/** The formatted time changes once a minute: format it once a minute. */
let lastMinute = { ms: Number.NaN, rfc3339: '' };
