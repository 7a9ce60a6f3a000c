import { randomUUID } from 'node:crypto';
import { type CheckOutcome, expandView, type PipelineSpan } from '../check/pipeline.js';
import { reasonClass } from '../shared/errors.js';
import type { DecisionLogger } from './decision-log.js';
import type { DecisionLabel, Metrics } from './metrics.js';
import { traceIdOf } from './trace-id.js';
import type { CheckResult, CheckSpan } from './tracing.js';

/** The decision label of metrics, logs and spans: server-side failures are `error` (they are still denials). */
export function decisionLabel(o: CheckOutcome): DecisionLabel {
  if (reasonClass(o.decision.reasonCode) === 'failure') return 'error';
  return o.decision.kind;
}

/** Audit mode comes from the policy: dynamic_metadata.mode = "audit" and would_deny = true. */
export function auditInfo(o: CheckOutcome): { mode: 'enforce' | 'audit'; wouldDeny: boolean; rule?: string; message?: string } {
  const md = o.decision.dynamicMetadata as Record<string, unknown> | undefined;
  const wouldDeny = md?.would_deny === true;
  const mode = md?.mode === 'audit' || (wouldDeny && o.decision.allowed) ? 'audit' : 'enforce';
  const out: { mode: 'enforce' | 'audit'; wouldDeny: boolean; rule?: string; message?: string } = { mode, wouldDeny };
  if (typeof md?.rule === 'string') out.rule = md.rule;
  if (typeof md?.message === 'string') out.message = md.message;
  return out;
}

/** What a check span ends with (tracing.ts CheckSpan.end). */
export function spanResult(o: CheckOutcome): CheckResult {
  const d = o.decision;
  const mcp = o.view?.input.mcp;
  const identity = o.view?.input.identity as { agent?: unknown } | undefined;
  return {
    decision: decisionLabel(o),
    rule: d.rule,
    revision: o.policy?.revision,
    mcpMethod: mcp?.method ?? (mcp?.is_batch ? 'batch' : undefined),
    tool: mcp?.tool,
    reasonCode: d.reasonCode,
    error: d.allowed ? undefined : `${d.reasonCode}${d.rule ? `: ${d.rule}` : ''}`,
    agent: typeof identity?.agent === 'string' ? identity.agent : undefined,
    approvalId: d.approvalId,
    approvedBy: d.approvedBy,
    cache: o.cache,
  };
}

/** The whole input of a check (a hit answered from its fingerprint reads its request for it). */
function fullInput(o: CheckOutcome): unknown {
  expandView(o);
  return o.view?.input;
}

export interface RecordOptions {
  /** The decision id (default: a random UUID, made only when the line is written or sampled). */
  decisionId?: string;
}

/**
 * The one consumer of a check's outcome: it ends the span, updates the metrics and writes the decision log line,
 * all from the same record, so the three cannot disagree. Never throws into the check path. The log line is only
 * built when the logger wants it (a sampled-out allow costs one hash).
 */
export function createCheckRecorder(metrics: Metrics | undefined, log: DecisionLogger | undefined) {
  return (o: CheckOutcome, span?: PipelineSpan & Partial<Pick<CheckSpan, 'end'>>, opts: RecordOptions = {}): void => {
    try {
      span?.end?.(spanResult(o));
      const mcp = o.view?.input.mcp;
      const label = decisionLabel(o);
      const audit = auditInfo(o);
      if (metrics) {
        metrics.recordCheck({
          decision: label,
          mode: audit.mode,
          mcpMethod: mcp?.method,
          isBatch: mcp?.is_batch === true,
          isResponse: mcp?.is_response === true,
          reasonCode: o.decision.reasonCode,
          tool: mcp?.tool,
          rule: o.decision.rule ?? audit.rule,
          wouldDeny: audit.wouldDeny,
          cache: o.cache,
          durationSeconds: o.durationSeconds,
        });
        if (o.timings.evaluate !== undefined) metrics.recordEval(o.timings.evaluate);
        if (o.cache === 'hit') metrics.recordCacheHit(o.fingerprint === true);
        else if (o.cache !== 'off') metrics.recordCacheMiss();
        if (mcp?.error) metrics.recordParseFailure(mcp.error.code);
      }
      if (!log) return;
      const decisionId = opts.decisionId ?? o.decisionId ?? randomUUID();
      if (!log.wants(label, audit.wouldDeny, decisionId)) return;
      if (log.logsInput) expandView(o);
      const identity = o.view?.input.identity as { agent?: string } | undefined;
      log.log({
        decision: label,
        wouldDeny: audit.wouldDeny,
        mode: audit.mode,
        policy: o.policy?.revision ?? null,
        rule: o.decision.rule ?? audit.rule ?? null,
        message: o.decision.message ?? audit.message ?? null,
        reasonCode: o.decision.reasonCode,
        httpStatus: o.decision.allowed ? null : o.decision.httpStatus,
        path: o.view?.path ?? '',
        method: o.view?.method ?? '',
        mcp: {
          method: mcp?.method ?? (mcp?.is_batch ? 'batch' : null),
          tool: mcp?.tool ?? null,
          id: mcp?.id ?? null,
          ...(mcp?.batch ? { batch_size: mcp.batch.length } : {}),
        },
        agent: typeof identity?.agent === 'string' ? identity.agent : null,
        ...(o.decision.approvedBy ? { approvedBy: o.decision.approvedBy, approvalId: o.decision.approvalId ?? null } : {}),
        decisionId,
        traceId: traceIdOf(span?.traceId, o.view?.headers),
        requestId: o.view?.headers['x-request-id'] ?? null,
        ...(o.shadow ? { shadow: o.shadow } : {}),
        durationUs: Math.round(o.durationSeconds * 1e6),
        input: o.view?.input,
        // A hit answered from its fingerprint, while its view is partial (expandView removes the entry).
        ...(o.fingerprintEntry && o.view ? { partial: { full: () => fullInput(o), shared: o.fingerprintEntry, headers: o.view.headers } } : {}),
      });
    } catch {
      // observability must never change or break a decision
    }
  };
}
