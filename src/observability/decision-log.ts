import pino, { type DestinationStream, type LevelWithSilent, type Logger } from 'pino';
import { createRedactor, scrub } from './redact.js';

export type DecisionLabel = 'allow' | 'deny' | 'require_approval' | 'error';

export interface DecisionRecord {
  /** What was answered: allow, deny, require_approval, or error (a server-side failure, answered as a denial). */
  decision: DecisionLabel;
  /** The policy ran in audit mode and would have denied. */
  wouldDeny: boolean;
  mode: 'enforce' | 'audit';
  /** The policy revision. */
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
  /** Set when an approved grant allowed this check: who approved it, and the approval id. */
  approvedBy?: string;
  approvalId?: string | null;
  /** The x-request-id header, to join with Envoy access logs. */
  requestId?: string | null;
  durationUs: number;
  /** The shadow candidate revision that also evaluates this check (docs/lifecycle.md#shadow-evaluation). */
  shadow?: string;
  /**
   * The input document. Logged only when logInput is on, redacted; either way the values the redaction paths select
   * are scrubbed from message, rule, path, agent and request_id.
   */
  input?: unknown;
  /**
   * A hit answered from its fingerprint, whose `input` is partial: `full` reads the whole input, `shared` is the
   * cache entry it came from (the same object for every request it answers) and `headers` this request's headers.
   * The secrets of the entry's request are found once per entry (the requests it answers have the same bytes but
   * the volatile fields), those of this request's headers every time.
   */
  partial?: { full: () => unknown; shared: object; headers: Record<string, string> };
}

export interface DecisionLoggerOptions {
  /**
   * Where lines go. Default: stdout through pino.destination, asynchronous and batched: lines are written in chunks
   * of at least BATCH_BYTES, or after at most BATCH_INTERVAL_MS, and flushed at exit.
   */
  destination?: DestinationStream;
  /** Paths to redact from logged inputs (see redact.ts). */
  redactFields?: readonly string[];
  /** More header names always redacted, e.g. the JWT payload header of the identity config. */
  redactHeaders?: readonly string[];
  /** Share of allowed decisions logged, 0..1 (default 1). Every non-allow and every would-deny is logged. */
  allowSampleRate?: number;
  /** Log the whole input document, redacted (default false). */
  logInput?: boolean;
  /** Decision lines are written at `info`; a higher level (`warn`, `silent`) turns them off. Default `info`. */
  level?: LevelWithSilent;
}

export interface DecisionLogger {
  /** Whether a decision will be written; call it before building a record to skip the work for sampled-out allows. */
  wants(decision: DecisionLabel, wouldDeny: boolean, decisionId: string): boolean;
  /** True when the lines carry the input (`log_input`): the record then needs the check's whole input. */
  readonly logsInput?: boolean;
  /** Write one `policy_decision` line (if wanted). Never throws. */
  log(rec: DecisionRecord): void;
  /** Resolves once buffered lines are handed to the destination. */
  flush(): Promise<void>;
}

const SCRUBBED_FIELDS = ['message', 'rule', 'path', 'agent', 'request_id'] as const;

/**
 * The default destination writes once this many bytes are buffered (one write call for many lines)...
 * Each write holds whole lines and at most PIPE_BYTES, the size a pipe writes atomically, so decision lines never
 * interleave with application log lines written to the same stdout.
 */
export const BATCH_BYTES = 3072;
const PIPE_BYTES = 4096;
/** ...or at most this long after a line is buffered. */
export const BATCH_INTERVAL_MS = 1000;

/**
 * One JSON line per logged decision (`msg: "policy_decision"`), with the fields operators grep for. Redaction is
 * done on a copy of the input before pino sees it (pino's `redact` cannot express "each batch entry's arguments,
 * wherever they appear" or case-insensitive header names), so redacted values never reach the stream. Sampling is
 * deterministic per decision id: a given decision is either logged everywhere or nowhere.
 */
export function createDecisionLogger(opts: DecisionLoggerOptions = {}): DecisionLogger {
  // sonic-boom's periodicFlush: an unref'd timer, so a quiet server still writes its last lines in time.
  const destination =
    opts.destination ?? pino.destination({ dest: 1, sync: false, minLength: BATCH_BYTES, maxWrite: PIPE_BYTES, periodicFlush: BATCH_INTERVAL_MS });
  const logger: Logger = pino(
    {
      base: null,
      level: opts.level ?? 'info',
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    destination,
  );
  const rate = Math.min(1, Math.max(0, Number.isFinite(opts.allowSampleRate) ? opts.allowSampleRate! : 1));
  const logInput = opts.logInput === true;
  const redactor = createRedactor(opts.redactFields ?? [], { extraHeaders: opts.redactHeaders ?? [] });
  const enabled = logger.isLevelEnabled('info');
  const entrySecrets = new WeakMap<object, string[]>();
  /** The secrets of a fingerprint hit's request (DecisionRecord.partial). */
  const partialSecrets = (partial: NonNullable<DecisionRecord['partial']>): string[] => {
    // A path from the input's root may select a field that differs between the entry's requests: read it each time.
    if (!redactor.entryStable) return redactor.secretsOf(partial.full());
    let shared = entrySecrets.get(partial.shared);
    if (!shared) entrySecrets.set(partial.shared, (shared = redactor.secretsOf(partial.full())));
    const own = redactor.headerSecrets(partial.headers);
    return own.length ? [...new Set([...shared, ...own])] : shared;
  };

  const wants = (decision: DecisionLabel, wouldDeny: boolean, decisionId: string): boolean => {
    if (!enabled) return false;
    if (decision !== 'allow' || wouldDeny || rate >= 1) return true;
    return sampled(decisionId, rate);
  };

  return {
    wants,
    logsInput: logInput,
    log(rec) {
      if (!wants(rec.decision, rec.wouldDeny, rec.decisionId)) return;
      try {
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
        if (rec.requestId) line.request_id = rec.requestId;
        if (rec.shadow) line.shadow = rec.shadow;
        if (rec.approvedBy) {
          line.approved_by = rec.approvedBy;
          line.approval_id = rec.approvalId ?? null;
        }
        let secrets: string[] = [];
        if (rec.partial && !logInput) secrets = partialSecrets(rec.partial);
        else if (rec.input !== undefined) {
          if (logInput) {
            const r = redactor.redact(rec.input);
            line.input = r.input;
            secrets = r.secrets;
          } else secrets = redactor.secretsOf(rec.input);
        }
        // A policy message (or a path, or an agent name from a claim) may quote a redacted value.
        if (secrets.length) for (const k of SCRUBBED_FIELDS) if (typeof line[k] === 'string') line[k] = scrub(line[k], secrets);
        logger.info(line, 'policy_decision');
      } catch {
        // a log line must never change or break a decision
      }
    },
    flush() {
      return new Promise<void>((resolve) => {
        try {
          logger.flush(() => resolve());
        } catch {
          resolve(); // destroyed or never opened: nothing to flush
        }
      });
    },
  };
}

/**
 * Deterministic sampling: a 32-bit FNV-1a hash of the decision id (with a murmur3 finaliser for avalanche) against
 * the rate. Cheap and allocation-free, unlike a cryptographic hash; the ids are random UUIDs anyway.
 */
export function sampled(decisionId: string, rate: number): boolean {
  if (rate >= 1) return true;
  if (!(rate > 0)) return false;
  let h = 0x811c9dc5;
  for (let i = 0; i < decisionId.length; i++) {
    h ^= decisionId.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return (h >>> 0) / 0x1_0000_0000 < rate;
}
