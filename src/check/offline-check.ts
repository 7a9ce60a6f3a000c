import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { AuthzError, STARTUP_ERROR } from '../shared/errors.js';
import { requestForBody, requestFromJson, withExtras } from './check-request.js';
import type { CheckOutcome } from './pipeline.js';
import type { CheckRequestWire } from './request.js';

/**
 * The offline check: one CheckRequest through the serving pipeline, summarised, and regression suites of cases.
 * `mcp-authz check` and the console's playground both use it.
 */

/** One CheckRequest through exactly what the gRPC handler runs. */
export type RunOne = (request: CheckRequestWire) => Promise<CheckOutcome>;

/** What a check decided, as `mcp-authz check --json` prints it and the console's playground shows it. */
export interface CheckSummary {
  decision: CheckOutcome['decision']['kind'];
  allowed: boolean;
  reason_code: string;
  rule: string | null;
  message: string | null;
  http_status: number | null;
  headers: { key?: string; value?: string; append_action?: unknown }[];
  headers_to_remove: string[];
  body: string | null;
  dynamic_metadata: unknown;
  policy: { revision: string; entrypoint: string } | null;
  input: unknown;
}

export function checkSummary(o: CheckOutcome): CheckSummary {
  const d = o.decision;
  const r = o.response;
  return {
    decision: d.kind,
    allowed: d.allowed,
    reason_code: d.reasonCode,
    rule: d.rule ?? null,
    message: d.message ?? null,
    http_status: d.allowed ? null : d.httpStatus,
    headers: (r.ok_response?.headers ?? r.denied_response?.headers ?? []).map((h) => ({ ...h.header, append_action: h.append_action })),
    headers_to_remove: r.ok_response?.headers_to_remove ?? [],
    body: r.denied_response?.body ?? null,
    dynamic_metadata: d.dynamicMetadata ?? null,
    policy: o.policy ? { revision: o.policy.revision, entrypoint: o.policy.entrypoint } : null,
    input: o.view?.input ?? null,
  };
}

/** One regression case: a body, message or whole CheckRequest, and what it must answer. */
interface Case {
  description?: string;
  body?: unknown;
  message?: unknown;
  request?: unknown;
  headers?: Record<string, string>;
  principal?: string;
  expect: { decision: 'allow' | 'deny' | 'require_approval'; rule?: string; http_status?: number };
}

/** Run every *.json / *.yaml case in `dir`, writing PASS/FAIL lines and a count; 0 when all pass, 1 otherwise. */
export async function runCases(dir: string, runOne: RunOne, out: NodeJS.WritableStream): Promise<number> {
  if (!statSync(dir).isDirectory()) throw new AuthzError(STARTUP_ERROR.cases_invalid, `--cases ${dir}: not a directory`);
  const files = readdirSync(dir)
    .filter((n) => /\.(json|ya?ml)$/i.test(n))
    .sort();
  if (files.length === 0) throw new AuthzError(STARTUP_ERROR.cases_invalid, `--cases ${dir}: no *.json or *.yaml cases`);
  let failed = 0;
  for (const file of files) {
    const text = readFileSync(join(dir, file), 'utf8');
    const c = (/\.json$/i.test(file) ? JSON.parse(text) : parseYaml(text)) as Case;
    if (!c?.expect?.decision) throw new AuthzError(STARTUP_ERROR.cases_invalid, `${file}: missing expect.decision`);
    const req = c.request
      ? withExtras(requestFromJson(c.request), c.headers ?? {}, c.principal)
      : requestForBody(typeof c.body === 'string' ? c.body : JSON.stringify(c.body ?? c.message), c.headers ?? {}, { principal: c.principal });
    const o = await runOne(req);
    const problems: string[] = [];
    if (o.decision.kind !== c.expect.decision) problems.push(`decision ${o.decision.kind} (${o.decision.reasonCode}), expected ${c.expect.decision}`);
    if (c.expect.rule !== undefined && o.decision.rule !== c.expect.rule) problems.push(`rule ${o.decision.rule ?? '-'}, expected ${c.expect.rule}`);
    if (c.expect.http_status !== undefined && o.decision.httpStatus !== c.expect.http_status)
      problems.push(`http ${o.decision.httpStatus}, expected ${c.expect.http_status}`);
    if (problems.length) {
      failed++;
      out.write(`FAIL ${file}${c.description ? ` — ${c.description}` : ''}: ${problems.join('; ')}\n`);
    } else {
      out.write(`PASS ${file}\n`);
    }
  }
  out.write(`${files.length - failed} passed, ${failed} failed\n`);
  return failed ? 1 : 0;
}
