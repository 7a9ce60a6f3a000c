import type { Json, McpInput, McpMessage } from '../mcp/types.js';
import { type ArgumentFacts, computeArgumentFacts } from './index.js';
import { type DocumentDeclaration, declaredFormat } from './document-declarations.js';
import { joinPath } from './walk-strings.js';
import { MCP_METHOD } from '../mcp/methods.js';

/** The part of the policy input the facts read and write. */
type PolicyInput = { mcp?: McpInput; parsed_body?: unknown; now?: unknown };

type WithFacts = (McpInput | McpMessage) & { urls?: unknown; findings?: unknown; documents?: unknown; facts_truncated?: boolean };

/**
 * Add `urls`, `findings`, `documents` and `facts_truncated` to every message (each message of a batch), whatever
 * its method, so rules about URLs apply to every URI a message carries: a `tools/call`'s arguments (paths relative
 * to `arguments`, as documented) and its other params (`$params._meta.x`); any other request's params
 * (`$params.uri` of `resources/read`, `$params.arguments.x` of `prompts/get`, `$params.argument.value` of
 * `completion/complete`); a response's `result` or `error` (`$result.…`).
 */
export function addArgumentFacts(input: PolicyInput, declarations: readonly DocumentDeclaration[] = []): void {
  const mcp = input.mcp;
  if (!mcp || mcp.error) return;
  const targets: WithFacts[] = mcp.batch ? mcp.batch : mcp.method !== undefined || mcp.is_response ? [mcp] : [];
  for (const m of targets) {
    const facts = messageFacts(m, input.parsed_body, mcp.batch ? mcp.batch.indexOf(m as McpMessage) : -1, declarations);
    m.urls = facts.urls;
    m.findings = facts.findings;
    m.documents = facts.documents;
    m.facts_truncated = facts.truncated;
  }
}

const isObject = (v: unknown): v is Record<string, Json> => typeof v === 'object' && v !== null && !Array.isArray(v);

function messageFacts(m: WithFacts, body: unknown, batchIndex: number, declarations: readonly DocumentDeclaration[]): ArgumentFacts {
  const all: ArgumentFacts = { urls: [], findings: [], documents: [], truncated: false };
  const add = (value: unknown, basePath: string, declared?: (path: string) => ReturnType<typeof declaredFormat>): void => {
    const f = computeArgumentFacts(value, declared ? { basePath, declared } : { basePath });
    all.urls.push(...f.urls);
    all.findings.push(...f.findings);
    all.documents.push(...f.documents);
    if (f.truncated) all.truncated = true;
  };
  if (m.is_response) {
    const raw = batchIndex >= 0 && Array.isArray(body) ? body[batchIndex] : body;
    if (isObject(raw)) {
      if (raw.result !== undefined) add(raw.result, '$result');
      if (raw.error !== undefined) add(raw.error, '$error');
    }
    return all;
  }
  const params = m.params;
  if (m.method === MCP_METHOD.toolsCall) {
    const tool = typeof m.tool === 'string' ? m.tool : undefined;
    add(m.arguments ?? {}, '', (path) => declaredFormat(declarations, tool, path));
    if (isObject(params)) {
      for (const [k, v] of Object.entries(params)) if (k !== 'name' && k !== 'arguments') add(v, joinPath('$params', k));
    }
    return all;
  }
  if (params !== undefined) add(params, '$params');
  return all;
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
