import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { REASON } from '../shared/errors.js';
import { version } from '../shared/version.js';
import { type MetricLabelSets, metricLabelSets } from './metric-labels.js';
import { MCP_METHODS, NOTIFICATION_PREFIX } from '../mcp/methods.js';

/**
 * MCP methods kept as `mcp_method` label values: the catalogue's (src/mcp/methods.ts). Everything else is `other`,
 * `notifications/*` is `notification`, a batch is `batch`, a JSON-RPC response is `response`, and no method at all
 * (unparseable body, GET) is `none`.
 */
export const MCP_METHOD_LABELS: readonly string[] = MCP_METHODS;
const KNOWN_METHODS = new Set(MCP_METHOD_LABELS);
const REASON_CODES = new Set<string>(Object.values(REASON));

export const CHECK_DURATION_BUCKETS = [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1];
export const EVAL_DURATION_BUCKETS = [0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05, 0.1];

export type DecisionLabel = 'allow' | 'deny' | 'require_approval' | 'error';

export interface CheckRecord {
  decision: DecisionLabel;
  mode: 'enforce' | 'audit';
  /** The JSON-RPC method (single message); reduced to a bounded label. */
  mcpMethod: string | undefined;
  /** The body was a JSON-RPC batch: label `batch`. */
  isBatch?: boolean;
  /** The body was a JSON-RPC response: label `response`. */
  isResponse?: boolean;
  /** A ReasonCode; anything else is counted as `other`. */
  reasonCode: string;
  /** The tool of a tools/call; a label only when in the tool label set, else `other` (`none` without a tool). */
  tool: string | undefined;
  /**
   * The deciding rule of a deny or require_approval (for an audit would-deny: the rule that would have decided);
   * counted in mcp_authz_denials_total, as a label only when in the rule label set, else `other` (`none` without one).
   */
  rule?: string | undefined;
  /** An audit-mode allow the policy would have denied (counted in mcp_authz_denials_total with mode `audit`). */
  wouldDeny?: boolean;
  /** How the decision cache answered: the `cache` label of the latency histogram. Default `off`. */
  cache?: CacheLabel;
  durationSeconds: number;
}

export type CacheLabel = 'hit' | 'miss' | 'bypass' | 'off';
export const CACHE_LABELS: readonly CacheLabel[] = ['hit', 'miss', 'bypass', 'off'];

export interface MetricsOptions {
  /** Tool names allowed as the `tool` label value, beside those the active policy's data names. */
  knownTools?: readonly string[];
  /** prom-client's Node.js process metrics (`process_*`, `nodejs_*`, no prefix) on this registry. Default true. */
  collectDefaults?: boolean;
  /**
   * The policy comes from a remote bundle (`policy.bundle_url`): mcp_authz_policy_seconds_since_last_success then
   * counts from the last successful poll (an unchanged bundle is a success). Otherwise the source is local and it
   * is 0 while the last load succeeded.
   */
  remotePolicy?: boolean;
  /** The clock, in milliseconds (tests). */
  now?: () => number;
}

export interface Metrics {
  /** This instance's own registry (never prom-client's global one). */
  registry: Registry;
  /** The Content-Type of metricsText(): Prometheus text format 0.0.4. */
  contentType: string;
  recordCheck(r: CheckRecord): void;
  recordEval(seconds: number): void;
  /** A cache hit; `fingerprint`: answered from the request's fingerprint, without reading the request. */
  recordCacheHit(fingerprint?: boolean): void;
  recordCacheMiss(): void;
  recordCacheEviction(): void;
  /** Read at scrape time for mcp_authz_decision_cache_size (entries) and mcp_authz_decision_cache_bytes. */
  setCacheSizeSource(size: () => number, bytes?: () => number): void;
  /**
   * The active policy: replaces the mcp_authz_policy_info series, stamps the last successful load and, with its data
   * document (as JSON), sets the `tool` and `rule` label sets (metric-labels.ts).
   */
  setPolicy(revision: string, source: string, dataJson?: string): void;
  recordReload(ok: boolean): void;
  /** A remote bundle poll found the bundle unchanged (304 or the same bytes): the source is healthy. */
  recordPolicyUnchanged(): void;
  /** The label sets now in force (tests, the docs). */
  labelSets(): MetricLabelSets;
  /** The evaluation thread was replaced: an evaluation ran past the deadline (`timeout`) or the thread died (`crash`). */
  recordEvalRestart(reason: 'timeout' | 'crash'): void;
  recordParseFailure(code: string): void;
  metricsText(): Promise<string>;
  /** metricsText() with its content type (the shape the ops HTTP route takes). */
  text(): Promise<{ contentType: string; body: string }>;
}

/** Bounded label for the MCP method. */
export function methodLabel(method: string | undefined, isBatch = false, isResponse = false): string {
  if (isBatch) return 'batch';
  if (isResponse) return 'response';
  if (method === undefined) return 'none';
  if (method.startsWith(NOTIFICATION_PREFIX)) return 'notification';
  return KNOWN_METHODS.has(method) ? method : 'other';
}

/** Bounded label for a reason code. */
export function reasonLabel(code: string): string {
  return REASON_CODES.has(code) ? code : 'other';
}

/** A loaded policy's data document; one that does not parse (it always does: the loader wrote it) names no labels. */
function parseData(json: string): unknown {
  try {
    return JSON.parse(json);
  } catch {
    return undefined;
  }
}

type CheckLabels = { decision: string; mode: string; mcp_method: string; reason_code: string; tool: string };
type DenialLabels = { decision: string; mode: string; rule: string };

/** Label values of one label, indexed: 0 `none`, 1 `other`, then every value ever admitted (stable indexes, bounded). */
class LabelIndex {
  private readonly index = new Map<string, number>([
    ['none', 0],
    ['other', 1],
  ]);
  readonly values: string[] = ['none', 'other'];
  private allowed = new Set<string>();
  constructor(private readonly cap: number) {}
  /** The values admitted from now on (others count as `other`); indexes of earlier ones stay valid. */
  allow(values: Iterable<string>): void {
    this.allowed = new Set(values);
  }
  of(v: string | undefined): number {
    if (v === undefined) return 0;
    const i = this.index.get(v);
    if (i !== undefined && i > 1) return this.allowed.has(v) ? i : 1;
    if (!this.allowed.has(v) || this.values.length >= this.cap) return 1;
    this.index.set(v, this.values.length);
    this.values.push(v);
    return this.values.length - 1;
  }
}
// Every tool or rule label value a process ever uses (over all reloads): `other` beyond this.
const LABEL_CAP = 4096;

// Label values by index, so a check's series is found by a small integer key (no string building per check).
const DECISIONS: readonly DecisionLabel[] = ['allow', 'deny', 'require_approval', 'error'];
const DECISION_INDEX = new Map<string, number>(DECISIONS.map((d, i) => [d, i]));
const MODES = ['enforce', 'audit'] as const;
const METHOD_VALUES = [...MCP_METHOD_LABELS, 'notification', 'batch', 'response', 'none', 'other'];
const METHOD_INDEX = new Map(METHOD_VALUES.map((v, i) => [v, i]));
const REASON_VALUES = [...REASON_CODES, 'other'];
const REASON_INDEX = new Map(REASON_VALUES.map((v, i) => [v, i]));

/**
 * Prometheus metrics on their own Registry. Every label is drawn from a closed set, so no request can grow the
 * series count: tool and rule names only from the policy's data and knownTools (metric-labels.ts), methods only
 * from the MCP specification, reason codes only from errors.ts. The per-check counter is kept in a Map keyed by the label tuple's index and copied into prom-client at
 * scrape time: prom-client's own inc() hashes and validates the label object on every call (~0.5 µs against ~30 ns).
 */
export function createMetrics(opts: MetricsOptions = {}): Metrics {
  const registry = new Registry();
  const now = opts.now ?? Date.now;
  const knownTools = opts.knownTools ?? [];
  if (opts.collectDefaults ?? true) collectDefaultMetrics({ register: registry });

  let labelSets = metricLabelSets(undefined, knownTools);
  const tools = new LabelIndex(LABEL_CAP);
  const rules = new LabelIndex(LABEL_CAP);
  const applyLabelSets = (sets: MetricLabelSets) => {
    labelSets = sets;
    tools.allow(sets.tools);
    rules.allow(sets.rules);
  };
  applyLabelSets(labelSets);
  const checkSeries = new Map<number, { labels: CheckLabels; n: number }>();
  const denialSeries = new Map<number, { labels: DenialLabels; n: number }>();
  new Counter({
    name: 'mcp_authz_checks_total',
    help: 'Checks answered, by decision, mode, MCP method, reason code and (known) tool.',
    labelNames: ['decision', 'mode', 'mcp_method', 'reason_code', 'tool'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const s of checkSeries.values()) this.inc(s.labels, s.n);
    },
  });
  new Counter({
    name: 'mcp_authz_denials_total',
    help: 'Denials and approval requests, by decision, mode (audit: would have denied) and deciding rule (rules the policy data names; others are other).',
    labelNames: ['decision', 'mode', 'rule'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const s of denialSeries.values()) this.inc(s.labels, s.n);
    },
  });
  const checkDuration = new Histogram({
    name: 'mcp_authz_check_duration_seconds',
    help: 'Time to answer a Check, from request to response, in seconds, by how the decision cache answered.',
    labelNames: ['cache'] as const,
    buckets: CHECK_DURATION_BUCKETS,
    registers: [registry],
  });
  // One child per cache label, made once: observe() then skips prom-client's label validation.
  const durationByCache = new Map(CACHE_LABELS.map((c) => [c, checkDuration.labels({ cache: c })]));
  new Gauge({
    name: 'mcp_authz_build_info',
    help: 'Always 1; the labels say which build runs: mcp-authz version and Node.js version.',
    labelNames: ['version', 'node_version'] as const,
    registers: [registry],
    aggregator: 'first', // a cluster's processes run the same build: one series, not their sum
  }).set({ version: version(), node_version: process.versions.node }, 1);
  const evalDuration = new Histogram({
    name: 'mcp_authz_policy_eval_duration_seconds',
    help: 'Time spent evaluating the policy (cache misses and bypasses only), in seconds.',
    buckets: EVAL_DURATION_BUCKETS,
    registers: [registry],
  });
  const cacheHits = new Counter({ name: 'mcp_authz_decision_cache_hits_total', help: 'Decision cache hits.', registers: [registry] });
  const fingerprintHits = new Counter({
    name: 'mcp_authz_decision_cache_fingerprint_hits_total',
    help: "Decision cache hits answered from the request's fingerprint, without reading the request (a part of the hits).",
    registers: [registry],
  });
  const cacheMisses = new Counter({
    name: 'mcp_authz_decision_cache_misses_total',
    help: 'Decision cache misses (including bypasses).',
    registers: [registry],
  });
  const cacheEvictions = new Counter({
    name: 'mcp_authz_decision_cache_evictions_total',
    help: 'Entries evicted (LRU) or expired (TTL).',
    registers: [registry],
  });
  let cacheSize: () => number = () => 0;
  let cacheBytes: () => number = () => 0;
  const sizeGauge = (name: string, help: string, read: () => number): Gauge =>
    new Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        try {
          const n = read();
          if (Number.isFinite(n)) this.set(n);
        } catch {
          // a failing size source must not fail the scrape: keep the last value
        }
      },
    });
  sizeGauge('mcp_authz_decision_cache_size', 'Entries in the decision cache.', () => cacheSize());
  sizeGauge('mcp_authz_decision_cache_bytes', 'Bytes held by the decision cache (estimated: entries, their keys and bookkeeping).', () =>
    cacheBytes(),
  );
  const policyInfo = new Gauge({
    name: 'mcp_authz_policy_info',
    help: 'The active policy: 1 for its revision and source.',
    labelNames: ['revision', 'source'] as const,
    registers: [registry],
  });
  const reloads = new Counter({
    name: 'mcp_authz_policy_reloads_total',
    help: 'Policy loads after startup, by result.',
    labelNames: ['result'] as const,
    registers: [registry],
  });
  const evalRestarts = new Counter({
    name: 'mcp_authz_policy_eval_restarts_total',
    help: 'Evaluation threads replaced, by reason: an evaluation ran past the deadline (timeout) or the thread died (crash).',
    labelNames: ['reason'] as const,
    registers: [registry],
  });
  evalRestarts.inc({ reason: 'timeout' }, 0);
  evalRestarts.inc({ reason: 'crash' }, 0);
  const nowSeconds = () => now() / 1000;
  const createdAt = nowSeconds();
  let lastSuccess = 0;
  // The last load or poll failed, and none has succeeded since.
  let failing = false;
  const succeeded = () => {
    lastSuccess = nowSeconds();
    failing = false;
  };
  new Gauge({
    name: 'mcp_authz_policy_last_success_timestamp_seconds',
    help: 'Unix time of the last successful policy load, or remote bundle poll that found it unchanged (0 before the first).',
    registers: [registry],
    collect() {
      this.set(lastSuccess);
    },
  });
  new Gauge({
    name: 'mcp_authz_policy_seconds_since_last_success',
    help: 'Remote bundle: seconds since the last successful poll (unchanged counts). Local policy: 0 while the last load succeeded, else seconds since the last success. Since start while none has succeeded.',
    registers: [registry],
    collect() {
      if (lastSuccess === 0) this.set(nowSeconds() - createdAt);
      else this.set(opts.remotePolicy || failing ? nowSeconds() - lastSuccess : 0);
    },
  });
  const parseFailures = new Counter({
    name: 'mcp_authz_body_parse_failures_total',
    help: 'Request bodies that were not valid MCP JSON-RPC, by code.',
    labelNames: ['code'] as const,
    registers: [registry],
  });
  // Both results exist from the start, so rate() and absent-series alerts work before the first reload.
  reloads.inc({ result: 'success' }, 0);
  reloads.inc({ result: 'failure' }, 0);

  const metricsText = (): Promise<string> => registry.metrics();

  return {
    registry,
    contentType: registry.contentType,
    recordCheck(r) {
      const d = DECISION_INDEX.get(r.decision) ?? 3; // not a DecisionLabel (cannot happen when typed): `error`
      const m = r.mode === 'audit' ? 1 : 0;
      const meth = METHOD_INDEX.get(methodLabel(r.mcpMethod, r.isBatch, r.isResponse))!;
      const rc = REASON_INDEX.get(r.reasonCode) ?? REASON_VALUES.length - 1;
      const t = tools.of(r.tool);
      const key = (((d * 2 + m) * METHOD_VALUES.length + meth) * REASON_VALUES.length + rc) * LABEL_CAP + t;
      const s = checkSeries.get(key);
      if (s) s.n++;
      else
        checkSeries.set(key, {
          labels: {
            decision: DECISIONS[d]!,
            mode: MODES[m],
            mcp_method: METHOD_VALUES[meth]!,
            reason_code: REASON_VALUES[rc]!,
            tool: tools.values[t]!,
          },
          n: 1,
        });
      // Denials by rule: what was denied or held for approval, and audit-mode allows that would have been.
      if (d === 1 || d === 2 || (d === 0 && r.wouldDeny === true)) {
        const rule = rules.of(r.rule);
        const dk = ((d === 2 ? 1 : 0) * 2 + m) * LABEL_CAP + rule;
        const ds = denialSeries.get(dk);
        if (ds) ds.n++;
        else denialSeries.set(dk, { labels: { decision: d === 2 ? 'require_approval' : 'deny', mode: MODES[m], rule: rules.values[rule]! }, n: 1 });
      }
      if (r.durationSeconds >= 0) durationByCache.get(r.cache ?? 'off')?.observe(r.durationSeconds);
    },
    recordEval(seconds) {
      if (seconds >= 0) evalDuration.observe(seconds);
    },
    recordCacheHit(fingerprint) {
      cacheHits.inc();
      if (fingerprint) fingerprintHits.inc();
    },
    recordCacheMiss: () => cacheMisses.inc(),
    recordCacheEviction: () => cacheEvictions.inc(),
    setCacheSizeSource(size, bytes) {
      cacheSize = size;
      if (bytes) cacheBytes = bytes;
    },
    setPolicy(revision, source, dataJson) {
      policyInfo.reset();
      policyInfo.set({ revision, source }, 1);
      if (dataJson !== undefined) applyLabelSets(metricLabelSets(parseData(dataJson), knownTools));
      succeeded();
    },
    recordReload(ok) {
      reloads.inc({ result: ok ? 'success' : 'failure' });
      if (ok) succeeded();
      else failing = true;
    },
    recordPolicyUnchanged: succeeded,
    labelSets: () => labelSets,
    recordEvalRestart: (reason) => evalRestarts.inc({ reason }),
    recordParseFailure: (code) => parseFailures.inc({ code: reasonLabel(code) }),
    metricsText,
    async text() {
      return { contentType: registry.contentType, body: await metricsText() };
    },
  };
}
