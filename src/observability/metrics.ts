import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { REASON } from '../errors.js';

/** MCP methods kept as label values; anything else is `other` (label sets stay bounded). */
const MCP_METHODS = new Set([
  'initialize',
  'ping',
  'tools/list',
  'tools/call',
  'resources/list',
  'resources/read',
  'resources/templates/list',
  'resources/subscribe',
  'resources/unsubscribe',
  'prompts/list',
  'prompts/get',
  'logging/setLevel',
  'completion/complete',
  'sampling/createMessage',
  'elicitation/create',
  'roots/list',
]);
const REASON_CODES = new Set<string>(Object.values(REASON));

export type DecisionLabel = 'allow' | 'deny' | 'require_approval' | 'error';

export interface CheckRecord {
  decision: DecisionLabel;
  mode: 'enforce' | 'audit';
  mcpMethod: string | undefined;
  isBatch: boolean;
  isResponse: boolean;
  reasonCode: string;
  tool: string | undefined;
  durationSeconds: number;
}

export interface Metrics {
  registry: Registry;
  recordCheck(r: CheckRecord): void;
  recordEval(seconds: number): void;
  recordCacheHit(): void;
  recordCacheMiss(): void;
  recordCacheEviction(): void;
  setCacheSizeSource(size: () => number): void;
  setPolicy(revision: string, source: string): void;
  recordReload(ok: boolean): void;
  recordParseFailure(code: string): void;
  text(): Promise<{ contentType: string; body: string }>;
}

/** Bounded label for the MCP method. */
export function methodLabel(method: string | undefined, isBatch = false, isResponse = false): string {
  if (isBatch) return 'batch';
  if (isResponse) return 'response';
  if (method === undefined) return 'none';
  if (method.startsWith('notifications/')) return 'notification';
  return MCP_METHODS.has(method) ? method : 'other';
}

/**
 * Prometheus metrics on their own Registry (never the global default). Every label is drawn from a closed set,
 * so no request can grow the series count: tool names only from the configured allowlist, else `other`.
 */
export function createMetrics(opts: { knownTools?: readonly string[]; collectDefaults?: boolean } = {}): Metrics {
  const registry = new Registry();
  const knownTools = new Set(opts.knownTools ?? []);
  if (opts.collectDefaults ?? true) collectDefaultMetrics({ register: registry });

  const checks = new Counter({
    name: 'mcp_authz_checks_total',
    help: 'Checks answered, by decision, mode, MCP method, reason code and (allow-listed) tool.',
    labelNames: ['decision', 'mode', 'mcp_method', 'reason_code', 'tool'] as const,
    registers: [registry],
  });
  const checkDuration = new Histogram({
    name: 'mcp_authz_check_duration_seconds',
    help: 'Time to answer a Check, from request to response, in seconds.',
    buckets: [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
    registers: [registry],
  });
  const evalDuration = new Histogram({
    name: 'mcp_authz_policy_eval_duration_seconds',
    help: 'Time spent evaluating the policy (cache misses and bypasses only), in seconds.',
    buckets: [0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05, 0.1],
    registers: [registry],
  });
  const cacheHits = new Counter({ name: 'mcp_authz_decision_cache_hits_total', help: 'Decision cache hits.', registers: [registry] });
  const cacheMisses = new Counter({ name: 'mcp_authz_decision_cache_misses_total', help: 'Decision cache misses (including bypasses).', registers: [registry] });
  const cacheEvictions = new Counter({ name: 'mcp_authz_decision_cache_evictions_total', help: 'Entries evicted (LRU) or expired (TTL).', registers: [registry] });
  let cacheSize: () => number = () => 0;
  new Gauge({
    name: 'mcp_authz_decision_cache_size',
    help: 'Entries in the decision cache.',
    registers: [registry],
    collect() {
      this.set(cacheSize());
    },
  });
  const policyInfo = new Gauge({ name: 'mcp_authz_policy_info', help: 'The active policy: 1 for its revision and source.', labelNames: ['revision', 'source'] as const, registers: [registry] });
  const reloads = new Counter({ name: 'mcp_authz_policy_reloads_total', help: 'Policy loads after startup, by result.', labelNames: ['result'] as const, registers: [registry] });
  let lastSuccess = 0;
  new Gauge({
    name: 'mcp_authz_policy_last_success_timestamp_seconds',
    help: 'Unix time of the last successful policy load.',
    registers: [registry],
    collect() {
      this.set(lastSuccess);
    },
  });
  new Gauge({
    name: 'mcp_authz_policy_seconds_since_last_success',
    help: 'Seconds since the last successful policy load (alert when it grows with remote bundles).',
    registers: [registry],
    collect() {
      this.set(lastSuccess ? Date.now() / 1000 - lastSuccess : 0);
    },
  });
  const parseFailures = new Counter({ name: 'mcp_authz_body_parse_failures_total', help: 'Request bodies that were not valid MCP JSON-RPC, by code.', labelNames: ['code'] as const, registers: [registry] });
  reloads.inc({ result: 'success' }, 0);
  reloads.inc({ result: 'failure' }, 0);

  return {
    registry,
    recordCheck(r) {
      checks.inc({
        decision: r.decision,
        mode: r.mode,
        mcp_method: methodLabel(r.mcpMethod, r.isBatch, r.isResponse),
        reason_code: REASON_CODES.has(r.reasonCode) ? r.reasonCode : 'other',
        tool: r.tool === undefined ? 'none' : knownTools.has(r.tool) ? r.tool : 'other',
      });
      checkDuration.observe(r.durationSeconds);
    },
    recordEval: (s) => evalDuration.observe(s),
    recordCacheHit: () => cacheHits.inc(),
    recordCacheMiss: () => cacheMisses.inc(),
    recordCacheEviction: () => cacheEvictions.inc(),
    setCacheSizeSource: (size) => {
      cacheSize = size;
    },
    setPolicy(revision, source) {
      policyInfo.reset();
      policyInfo.set({ revision, source }, 1);
      lastSuccess = Date.now() / 1000;
    },
    recordReload: (ok) => reloads.inc({ result: ok ? 'success' : 'failure' }),
    recordParseFailure: (code) => parseFailures.inc({ code: REASON_CODES.has(code) ? code : 'other' }),
    async text() {
      return { contentType: registry.contentType, body: await registry.metrics() };
    },
  };
}
