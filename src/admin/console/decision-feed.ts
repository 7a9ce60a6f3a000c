import type { Decision, PolicyInput } from '../../check/types.js';
import { reasonClass } from '../../shared/errors.js';
import type { Redactor } from '../../observability/redact.js';
import { traceIdOf } from '../../observability/trace-id.js';

/** One decision as the console shows it. Plain JSON, so a worker can hand it to the primary over IPC. */
export interface ConsoleDecision {
  /** Position in the ring (assigned by the ring); the live view polls with `after`. */
  seq: number;
  time: string;
  /** allow, deny, require_approval, or error (a server-side failure, answered as a denial). */
  decision: string;
  reason_code: string;
  http_status: number | null;
  rule: string | null;
  message: string | null;
  agent: string | null;
  mcp_method: string | null;
  tool: string | null;
  revision: string | null;
  trace_id: string | null;
  approval_id: string | null;
  approved_by: string | null;
  matched_rules: string[];
  duration_us: number;
  /** The input document, redacted like the decision log, and truncated to console.input_max_bytes. */
  input: unknown;
  /** The input was larger than console.input_max_bytes: its long strings are cut (or it is only described). */
  input_truncated: boolean;
  /** Which process answered (pid), when several workers feed one console. */
  worker: number;
}

/** What the sampler needs of a check's outcome (src/check pipeline's CheckOutcome satisfies it). */
export interface FeedOutcome {
  decision: Decision;
  view?: { input: PolicyInput; headers?: Record<string, string> };
  policy?: { revision: string };
  durationSeconds: number;
}

export interface DecisionSampler<O extends FeedOutcome = FeedOutcome> {
  /** Called for every check. Costs a clock read and a counter when the second's budget is spent. */
  offer(o: O, traceId?: string | null): void;
  /** Decisions not copied because the budget was spent. */
  dropped(): number;
}

/**
 * Samples the live view so it never slows the check path: at most `perSecond` decisions per second are copied
 * (redacted) and handed to `sink`; the others cost one comparison. The budget resets each wall-clock second.
 */
export function createDecisionSampler<O extends FeedOutcome = FeedOutcome>(opts: {
  perSecond: number;
  redactor: Redactor;
  /** console.input_max_bytes: larger inputs are kept truncated. */
  inputMaxBytes: number;
  sink: (d: Omit<ConsoleDecision, 'seq'>) => void;
  /**
   * Work done for a sampled outcome only, before it is copied (the input facts the check did not need: the console
   * shows them, and computing them on every check would cost every check a walk of its arguments).
   */
  complete?: (o: O) => void;
}): DecisionSampler<O> {
  let second = 0;
  let used = 0;
  let dropped = 0;
  return {
    offer(o, traceId) {
      const now = Date.now();
      const s = Math.floor(now / 1000);
      if (s !== second) {
        second = s;
        used = 0;
      }
      if (used >= opts.perSecond) {
        dropped++;
        return;
      }
      used++;
      try {
        opts.complete?.(o);
        opts.sink(toConsoleDecision(o, traceId ?? null, now, opts.redactor, opts.inputMaxBytes));
      } catch {
        // the console must never break a check
      }
    },
    dropped: () => dropped,
  };
}

export function toConsoleDecision(
  o: FeedOutcome,
  traceId: string | null,
  now: number,
  redactor: Redactor,
  inputMaxBytes: number,
): Omit<ConsoleDecision, 'seq'> {
  const d = o.decision;
  const input = o.view?.input;
  const kept = input === undefined ? { value: null, truncated: false } : truncateInput(redactor.redactInput(input), inputMaxBytes);
  const mcp = input?.mcp;
  const md = d.dynamicMetadata as { matched_rules?: unknown } | undefined;
  const agent = (input?.identity as { agent?: unknown } | undefined)?.agent;
  return {
    time: new Date(now).toISOString(),
    decision: reasonClass(d.reasonCode) === 'failure' ? 'error' : d.kind,
    reason_code: d.reasonCode,
    http_status: d.allowed ? null : d.httpStatus,
    rule: d.rule ?? null,
    message: d.message ?? null,
    agent: typeof agent === 'string' ? agent : null,
    mcp_method: mcp?.method ?? (mcp?.is_batch ? 'batch' : null),
    tool: mcp?.tool ?? (mcp?.batch ? [...new Set(mcp.batch.map((m) => m.tool).filter(Boolean))].join(',') || null : null),
    revision: o.policy?.revision ?? null,
    trace_id: traceIdOf(traceId, o.view?.headers),
    approval_id: d.approvalId ?? null,
    approved_by: d.approvedBy ?? null,
    matched_rules: Array.isArray(md?.matched_rules) ? md.matched_rules.filter((r): r is string => typeof r === 'string') : [],
    duration_us: Math.round(o.durationSeconds * 1e6),
    input: kept.value,
    input_truncated: kept.truncated,
    worker: process.pid,
  };
}

export interface DecisionFilter {
  decision?: string;
  agent?: string;
  tool?: string;
  rule?: string;
}

/**
 * An input as the console keeps it: as it is when its JSON is at most `maxBytes`, else with every string longer
 * than a limit cut (`…[N more characters]`), the limit halved until it fits; an input that still does not fit (many
 * short values) is replaced by a description of its size.
 */
export function truncateInput(value: unknown, maxBytes: number): { value: unknown; truncated: boolean } {
  const size = (v: unknown): number => Buffer.byteLength(JSON.stringify(v) ?? '');
  const bytes = size(value);
  if (bytes <= maxBytes) return { value, truncated: false };
  const cut = (v: unknown, limit: number): unknown => {
    if (typeof v === 'string') return v.length > limit ? `${v.slice(0, limit)}…[${v.length - limit} more characters]` : v;
    if (Array.isArray(v)) return v.map((x) => cut(x, limit));
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, cut(x, limit)]));
    return v;
  };
  for (let limit = Math.max(64, Math.floor(maxBytes / 8)); limit >= 16; limit = Math.floor(limit / 2)) {
    const smaller = cut(value, limit);
    if (size(smaller) <= maxBytes) return { value: smaller, truncated: true };
  }
  return { value: { truncated: `the redacted input is ${bytes} bytes, more than console.input_max_bytes (${maxBytes})` }, truncated: true };
}

/** The bytes a kept decision is counted as: twice its JSON (strings are UTF-16 in memory), plus 512 for the objects. */
export function decisionBytes(d: ConsoleDecision): number {
  return 2 * JSON.stringify(d).length + 512;
}

/** The recent decisions: a ring buffer bounded by count and by bytes (the oldest go first), newest last. */
export class DecisionRing {
  private items: ConsoleDecision[] = [];
  private sizes: number[] = [];
  private held = 0;
  private next = 1;

  constructor(
    private readonly capacity: number,
    private readonly maxBytes = Number.POSITIVE_INFINITY,
  ) {}

  add(d: Omit<ConsoleDecision, 'seq'>): void {
    const item = { ...d, seq: this.next++ };
    const n = decisionBytes(item);
    this.items.push(item);
    this.sizes.push(n);
    this.held += n;
    let drop = 0;
    let freed = 0;
    while (drop < this.items.length && (this.items.length - drop > this.capacity || this.held - freed > this.maxBytes)) freed += this.sizes[drop++]!;
    if (drop > 0) {
      this.items.splice(0, drop);
      this.sizes.splice(0, drop);
      this.held -= freed;
    }
  }

  /** The bytes the kept decisions are counted as (decisionBytes), at most console.buffer_max_bytes. */
  bytes(): number {
    return this.held;
  }

  get(seq: number): ConsoleDecision | undefined {
    return this.items.find((d) => d.seq === seq);
  }

  /** Newest first, after `after` (exclusive), filtered (substring match for agent, tool and rule), at most `limit`. */
  list(f: DecisionFilter & { after?: number; limit?: number } = {}): ConsoleDecision[] {
    const out: ConsoleDecision[] = [];
    const has = (v: string | null, q?: string) => !q || (v ?? '').toLowerCase().includes(q.toLowerCase());
    for (let i = this.items.length - 1; i >= 0 && out.length < (f.limit ?? 200); i--) {
      const d = this.items[i]!;
      if (f.after !== undefined && d.seq <= f.after) break;
      if (f.decision && d.decision !== f.decision) continue;
      if (!has(d.agent, f.agent) || !has(d.tool, f.tool) || !has(d.rule, f.rule)) continue;
      out.push(d);
    }
    return out;
  }

  size(): number {
    return this.items.length;
  }

  latest(): number {
    return this.next - 1;
  }
}
