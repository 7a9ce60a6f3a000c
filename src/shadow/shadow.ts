import { Counter, type Registry } from 'prom-client';
import type { CheckOutcome } from '../check/pipeline.js';
import { type DecisionOptions, interpretResult } from '../check/decision.js';
import type { PolicyInput } from '../check/types.js';
import { type Redactor, scrub } from '../observability/redact.js';
import type { Policy } from '../rego-wasm/index.js';
import { REASON } from '../shared/errors.js';
import type { ShadowConfig } from './config.js';
import { type Answer, answerOf, DIFFERENCE_KINDS, type DifferenceKind, differenceOf, errorAnswer } from './difference.js';

/** The candidate revision and who loaded it from where. */
export interface ShadowCandidate {
  policy: Policy;
  /** What it was loaded from: a path, or `revision <rev>` for a remembered one. */
  from: string;
  loadedAt: Date;
  loadedBy: string;
}

/** One request on which the candidate disagreed with the active revision. */
export interface ShadowDifference {
  seq: number;
  at: string;
  kind: DifferenceKind;
  tool: string | null;
  method: string | null;
  agent: string | null;
  active_revision: string | null;
  candidate_revision: string;
  active: Answer;
  candidate: Answer;
  /** The input document, redacted as the decision log redacts it. */
  input: unknown;
  /** Which process evaluated it (pid), when several workers shadow one candidate. */
  worker: number;
}

/** A count of differences of one kind, tool and rule (the candidate's rule, else the active one's). */
export interface DifferenceGroup {
  kind: DifferenceKind;
  tool: string | null;
  rule: string | null;
  count: number;
}

export interface ShadowReport {
  candidate: { revision: string; source: string; sha256: string; from: string; loaded_at: string; loaded_by: string } | null;
  /** Checks the candidate evaluated since it was loaded. */
  checks: number;
  /** Sampled checks dropped since it was loaded: `queue_full` (the candidate was behind), `rate_limit` (max_per_second). */
  dropped: { queue_full: number; rate_limit: number };
  /** Differences since it was loaded, in all and by kind. */
  differences: number;
  by_kind: Partial<Record<DifferenceKind, number>>;
  groups: DifferenceGroup[];
  /** The last `shadow.max_differences` differences, newest first. */
  recent: ShadowDifference[];
}

export interface ShadowOptions {
  config: ShadowConfig;
  /** How the server validates a decision (check settings), for the candidate's result. */
  decision: DecisionOptions;
  /** The decision log's redaction. */
  redactor: Redactor;
  registry: Registry;
  /** Milliseconds (tests). Default Date.now. */
  now?: () => number;
  /** 0..1 (tests). Default Math.random. */
  random?: () => number;
}

interface Queued {
  input: PolicyInput;
  active: Answer;
  activeRevision: string | null;
  candidate: ShadowCandidate;
}

export interface Shadow {
  /** Start shadowing `candidate` (replacing any other); counts and differences start again from zero. */
  load(candidate: ShadowCandidate): void;
  /** Stop shadowing; the candidate, its queue and its differences are forgotten. Returns what was dropped. */
  discard(): ShadowCandidate | undefined;
  candidate(): ShadowCandidate | undefined;
  /**
   * After a check is answered: sample it for the candidate (uncached checks that reached evaluation, at
   * `sample_rate`, at most `max_per_second`) and queue it. Returns the candidate's revision when sampled. Never
   * evaluates here and never throws.
   */
  offer(outcome: CheckOutcome): string | undefined;
  /**
   * Compare the candidate with an answer given elsewhere, now, bypassing sampling and the queue (offline replay:
   * `mcp-authz policy replay`). Nothing happens without a candidate.
   */
  compare(input: PolicyInput, active: Answer, activeRevision: string | null): void;
  /** The summary since the candidate was loaded; `recent` at most `limit` (default: every kept difference). */
  report(limit?: number): ShadowReport;
  /** Resolves when every queued check has been evaluated. */
  idle(): Promise<void>;
}

/** How long one event-loop turn works the queue before live checks run again (ms). */
const SLICE_MS = 0.5;

/**
 * Shadow evaluation, off the decision path: `offer` only copies references into a bounded queue; the queue is
 * worked a slice at a time (at most SLICE_MS per event-loop turn, setImmediate), each with the candidate's own deadline, so live checks
 * interleave with it and a slow candidate is cut off, never waited for.
 */
export function createShadow(opts: ShadowOptions): Shadow {
  const { config, redactor } = opts;
  const now = opts.now ?? Date.now;
  const random = opts.random ?? Math.random;
  const metrics = shadowMetrics(opts.registry);
  let current: ShadowCandidate | undefined;
  let queue: Queued[] = [];
  let pumping = false;
  let idleWaiters: (() => void)[] = [];
  let windowSecond = -1;
  let inWindow = 0;
  let seq = 0;
  let tally = emptyTally();

  const finishIdle = (): void => {
    const waiters = idleWaiters;
    idleWaiters = [];
    for (const w of waiters) w();
  };

  const pump = (): void => {
    if (pumping) return;
    pumping = true;
    setImmediate(function step() {
      // A slice of work per event-loop turn: one check per turn falls behind a loaded server (a turn answers many
      // checks), and queued inputs then live long enough to be promoted and collected as old objects.
      const until = performance.now() + SLICE_MS;
      do {
        const item = queue.shift();
        if (item) evaluateOne(item);
      } while (queue.length > 0 && performance.now() < until);
      if (queue.length > 0) setImmediate(step);
      else {
        pumping = false;
        finishIdle();
      }
    });
  };

  const record = (d: ShadowDifference): void => {
    tally.differences.push(d);
    if (tally.differences.length > config.max_differences) tally.differences.shift();
    tally.counts.set(d.kind, (tally.counts.get(d.kind) ?? 0) + 1);
    const key = groupKey(d);
    const g = tally.groups.get(key);
    if (g) g.count++;
    else tally.groups.set(key, { kind: d.kind, tool: d.tool, rule: d.candidate.rule ?? d.active.rule, count: 1 });
    tally.total++;
  };

  function evaluateOne(item: Queued): void {
    if (item.candidate !== current) return; // discarded or replaced while queued
    const answer = policyAnswer(item.candidate.policy, item.input, opts.decision, config.eval_timeout_ms);
    metrics.checks.inc();
    tally.checks++;
    const kind = differenceOf(item.active, answer);
    if (!kind) return;
    metrics.differences.inc({ kind });
    const { input, secrets } = redactor.redact(item.input);
    const mcp = item.input.mcp;
    const identity = item.input.identity as { agent?: unknown } | undefined;
    const d: ShadowDifference = {
      seq: ++seq,
      at: new Date(now()).toISOString(),
      kind,
      tool: mcp?.tool ?? null,
      method: mcp?.method ?? null,
      agent: typeof identity?.agent === 'string' ? identity.agent : null,
      active_revision: item.activeRevision,
      candidate_revision: item.candidate.policy.revision,
      active: scrubbed(item.active, secrets),
      candidate: scrubbed(answer, secrets),
      input,
      worker: process.pid,
    };
    record(d);
  }

  return {
    load(candidate) {
      current = candidate;
      queue = [];
      tally = emptyTally();
    },
    discard() {
      const was = current;
      current = undefined;
      queue = [];
      tally = emptyTally();
      return was;
    },
    candidate: () => current,
    offer(outcome) {
      const candidate = current;
      if (!candidate || outcome.cache === 'hit' || outcome.timings.facts === undefined || !outcome.view) return undefined;
      if (config.sample_rate < 1 && random() >= config.sample_rate) return undefined;
      const second = Math.floor(now() / 1000);
      if (second !== windowSecond) {
        windowSecond = second;
        inWindow = 0;
      }
      if (inWindow >= config.max_per_second) {
        metrics.dropped.inc({ reason: 'rate_limit' });
        tally.dropped.rate_limit++;
        return undefined;
      }
      inWindow++;
      if (queue.length >= config.queue_size) {
        metrics.dropped.inc({ reason: 'queue_full' });
        tally.dropped.queue_full++;
        return undefined;
      }
      queue.push({ input: outcome.view.input, active: answerOf(outcome.decision), activeRevision: outcome.policy?.revision ?? null, candidate });
      pump();
      return candidate.policy.revision;
    },
    compare(input, active, activeRevision) {
      if (current) evaluateOne({ input, active, activeRevision, candidate: current });
    },
    report(limit = config.max_differences) {
      const c = current;
      return {
        candidate: c
          ? {
              revision: c.policy.revision,
              source: c.policy.source,
              sha256: c.policy.sha256,
              from: c.from,
              loaded_at: c.loadedAt.toISOString(),
              loaded_by: c.loadedBy,
            }
          : null,
        checks: tally.checks,
        dropped: { ...tally.dropped },
        differences: tally.total,
        by_kind: Object.fromEntries(DIFFERENCE_KINDS.filter((k) => tally.counts.has(k)).map((k) => [k, tally.counts.get(k)!])),
        groups: [...tally.groups.values()].map((g) => ({ ...g })).sort((a, b) => b.count - a.count),
        recent: limit > 0 ? tally.differences.slice(-limit).reverse() : [],
      };
    },
    idle() {
      if (!pumping && queue.length === 0) return Promise.resolve();
      return new Promise((resolve) => idleWaiters.push(resolve));
    },
  };
}

/**
 * One report from several (a cluster's workers, each shadowing the same candidate): counts summed, groups merged,
 * the latest differences of all, newest first, at most `max`. The candidate is the primary's own record of it.
 */
export function combineReports(candidate: ShadowReport['candidate'], reports: ShadowReport[], max: number): ShadowReport {
  const byKind: Partial<Record<DifferenceKind, number>> = {};
  const groups = new Map<string, DifferenceGroup>();
  for (const r of reports) {
    for (const [k, n] of Object.entries(r.by_kind) as [DifferenceKind, number][]) byKind[k] = (byKind[k] ?? 0) + n;
    for (const g of r.groups) {
      const key = JSON.stringify([g.kind, g.tool, g.rule]);
      const have = groups.get(key);
      if (have) have.count += g.count;
      else groups.set(key, { ...g });
    }
  }
  const recent = reports
    .flatMap((r) => r.recent)
    .sort((a, b) => (a.at === b.at ? 0 : a.at < b.at ? 1 : -1))
    .slice(0, max);
  return {
    candidate,
    checks: reports.reduce((n, r) => n + r.checks, 0),
    dropped: {
      queue_full: reports.reduce((n, r) => n + r.dropped.queue_full, 0),
      rate_limit: reports.reduce((n, r) => n + r.dropped.rate_limit, 0),
    },
    differences: reports.reduce((n, r) => n + r.differences, 0),
    by_kind: Object.fromEntries(DIFFERENCE_KINDS.filter((k) => byKind[k] !== undefined).map((k) => [k, byKind[k]!])),
    groups: [...groups.values()].sort((a, b) => b.count - a.count),
    recent,
  };
}

/** A policy's answer to an input: its decision, or an `error` answer when it throws, times out or is invalid. */
export function policyAnswer(policy: Policy, input: unknown, decision: DecisionOptions, timeoutMs: number): Answer {
  let resultSet: unknown;
  try {
    resultSet = policy.evaluate(input, timeoutMs);
  } catch (err) {
    const timedOut = (err as Error).name === 'DeadlineExceeded';
    return errorAnswer(timedOut ? REASON.policyTimeout : REASON.policyEvalError, (err as Error).message);
  }
  const interpreted = interpretResult(resultSet, decision);
  if (!interpreted.ok) return errorAnswer(interpreted.code, interpreted.message);
  return answerOf(interpreted.decision);
}

function scrubbed(a: Answer, secrets: string[]): Answer {
  if (secrets.length === 0) return a;
  return { ...a, message: a.message === null ? null : scrub(a.message, secrets), headers: a.headers.map((h) => scrub(h, secrets)) };
}

const groupKey = (d: ShadowDifference): string => JSON.stringify([d.kind, d.tool, d.candidate.rule ?? d.active.rule]);

function emptyTally() {
  return {
    checks: 0,
    total: 0,
    dropped: { queue_full: 0, rate_limit: 0 },
    differences: [] as ShadowDifference[],
    counts: new Map<DifferenceKind, number>(),
    groups: new Map<string, DifferenceGroup>(),
  };
}

function shadowMetrics(registry: Registry) {
  const checks = new Counter({
    name: 'mcp_authz_shadow_checks_total',
    help: 'Checks the shadow candidate revision evaluated.',
    registers: [registry],
  });
  const differences = new Counter({
    name: 'mcp_authz_shadow_differences_total',
    help: 'Checks on which the shadow candidate disagreed with the active revision, by kind.',
    labelNames: ['kind'],
    registers: [registry],
  });
  for (const kind of DIFFERENCE_KINDS) differences.inc({ kind }, 0);
  const dropped = new Counter({
    name: 'mcp_authz_shadow_dropped_total',
    help: 'Sampled checks the shadow candidate did not evaluate: queue_full or rate_limit.',
    labelNames: ['reason'],
    registers: [registry],
  });
  for (const reason of ['queue_full', 'rate_limit']) dropped.inc({ reason }, 0);
  return { checks, differences, dropped };
}
