import { createHash } from 'node:crypto';
import pino, { type DestinationStream, type Logger } from 'pino';
import { createRedactor } from './redact.js';

export interface DecisionRecord {
  decision: 'allow' | 'deny' | 'require_approval' | 'error';
  wouldDeny: boolean;
  mode: 'enforce' | 'audit';
  policy: string | null;
  rule: string | null;
  message: string | null;
  reasonCode: string;
  httpStatus: number | null;
  path: string;
  method: string;
  mcp: { method: string | null; tool: string | null; id: string | number | null; batch_size?: number };
  agent: string | null;
  decisionId: string;
  traceId: string | null;
  durationUs: number;
  /** Logged only when logInput is on, after redaction. */
  input?: unknown;
}

export interface DecisionLoggerOptions {
  destination?: DestinationStream;
  redactFields?: readonly string[];
  /** Share of allowed decisions logged, 0..1. Every non-allow is logged. */
  allowSampleRate?: number;
  logInput?: boolean;
}

export interface DecisionLogger {
  log(rec: DecisionRecord): void;
  flush(): void;
}

/**
 * One JSON line per logged decision (`msg: "policy_decision"`), with the fields operators grep for. Sampling is
 * deterministic per decision id, so a given decision is either logged everywhere or nowhere.
 */
export function createDecisionLogger(opts: DecisionLoggerOptions = {}): DecisionLogger {
  const destination = opts.destination ?? pino.destination({ dest: 1, sync: false, minLength: 4096 });
  const logger: Logger = pino({ base: null, timestamp: pino.stdTimeFunctions.isoTime, formatters: { level: (label) => ({ level: label }) } }, destination);
  const rate = Math.min(1, Math.max(0, opts.allowSampleRate ?? 1));
  const redactor = createRedactor(opts.redactFields ?? []);

  return {
    log(rec) {
      if (rec.decision === 'allow' && !rec.wouldDeny && rate < 1 && !sampled(rec.decisionId, rate)) return;
      const line: Record<string, unknown> = {
        decision: rec.decision,
        wouldDeny: rec.wouldDeny,
        mode: rec.mode,
        policy: rec.policy,
        rule: rec.rule,
        message: rec.message,
        reason_code: rec.reasonCode,
        http_status: rec.httpStatus,
        path: rec.path,
        method: rec.method,
        mcp: rec.mcp,
        agent: rec.agent,
        decision_id: rec.decisionId,
        trace_id: rec.traceId,
        duration_us: rec.durationUs,
      };
      if (opts.logInput && rec.input !== undefined) line.input = redactor.redactInput(rec.input);
      logger.info(line, 'policy_decision');
    },
    flush() {
      const d = destination as { flushSync?: () => void };
      try {
        d.flushSync?.();
      } catch {
        // not ready yet (nothing written): nothing to flush
      }
    },
  };
}

/** Deterministic sampling: the first 32 bits of sha256(decision id) against the rate. */
export function sampled(decisionId: string, rate: number): boolean {
  if (rate >= 1) return true;
  if (rate <= 0) return false;
  const n = createHash('sha256').update(decisionId).digest().readUInt32BE(0);
  return n / 0x1_0000_0000 < rate;
}
