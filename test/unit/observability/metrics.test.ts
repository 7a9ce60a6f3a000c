import fc from 'fast-check';
import { register as globalRegistry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { REASON } from '../../../src/shared/errors.js';
import { CHECK_DURATION_BUCKETS, createMetrics, MCP_METHOD_LABELS, methodLabel, type CheckRecord } from '../../../src/observability/metrics.js';
import { parseExposition, samplesOf, sampleValue } from './prom-text.js';

const KNOWN = ['lookup_order', 'process_refund', 'we"ird\\tool'];

/** Inputs and the labels they must produce. */
const TABLE: { rec: CheckRecord; labels: Record<string, string> }[] = [
  {
    rec: { decision: 'allow', mode: 'enforce', mcpMethod: 'tools/call', reasonCode: 'allowed', tool: 'lookup_order', durationSeconds: 0.00004 },
    labels: { decision: 'allow', mode: 'enforce', mcp_method: 'tools/call', reason_code: 'allowed', tool: 'lookup_order' },
  },
  {
    rec: { decision: 'allow', mode: 'enforce', mcpMethod: 'tools/call', reasonCode: 'allowed', tool: 'lookup_order', durationSeconds: 0.0003 },
    labels: { decision: 'allow', mode: 'enforce', mcp_method: 'tools/call', reason_code: 'allowed', tool: 'lookup_order' },
  },
  {
    rec: { decision: 'deny', mode: 'enforce', mcpMethod: 'tools/call', reasonCode: 'policy_denied', tool: 'delete_account', durationSeconds: 0.002 },
    labels: { decision: 'deny', mode: 'enforce', mcp_method: 'tools/call', reason_code: 'policy_denied', tool: 'other' },
  },
  {
    rec: { decision: 'allow', mode: 'audit', mcpMethod: 'tools/call', reasonCode: 'allowed', tool: 'process_refund', durationSeconds: 0.0001 },
    labels: { decision: 'allow', mode: 'audit', mcp_method: 'tools/call', reason_code: 'allowed', tool: 'process_refund' },
  },
  {
    rec: {
      decision: 'require_approval',
      mode: 'enforce',
      mcpMethod: 'tools/call',
      reasonCode: 'approval_required',
      tool: 'process_refund',
      durationSeconds: 0.02,
    },
    labels: { decision: 'require_approval', mode: 'enforce', mcp_method: 'tools/call', reason_code: 'approval_required', tool: 'process_refund' },
  },
  {
    rec: { decision: 'error', mode: 'enforce', mcpMethod: 'tools/list', reasonCode: 'policy_eval_error', tool: undefined, durationSeconds: 0.7 },
    labels: { decision: 'error', mode: 'enforce', mcp_method: 'tools/list', reason_code: 'policy_eval_error', tool: 'none' },
  },
  {
    rec: { decision: 'deny', mode: 'enforce', mcpMethod: undefined, reasonCode: 'body_invalid_json', tool: undefined, durationSeconds: 0.00002 },
    labels: { decision: 'deny', mode: 'enforce', mcp_method: 'none', reason_code: 'body_invalid_json', tool: 'none' },
  },
  {
    rec: {
      decision: 'allow',
      mode: 'enforce',
      mcpMethod: 'notifications/initialized',
      reasonCode: 'allowed',
      tool: undefined,
      durationSeconds: 0.00001,
    },
    labels: { decision: 'allow', mode: 'enforce', mcp_method: 'notification', reason_code: 'allowed', tool: 'none' },
  },
  {
    rec: { decision: 'allow', mode: 'enforce', mcpMethod: undefined, isBatch: true, reasonCode: 'allowed', tool: undefined, durationSeconds: 0.004 },
    labels: { decision: 'allow', mode: 'enforce', mcp_method: 'batch', reason_code: 'allowed', tool: 'none' },
  },
  {
    rec: {
      decision: 'allow',
      mode: 'enforce',
      mcpMethod: undefined,
      isResponse: true,
      reasonCode: 'allowed',
      tool: undefined,
      durationSeconds: 0.004,
    },
    labels: { decision: 'allow', mode: 'enforce', mcp_method: 'response', reason_code: 'allowed', tool: 'none' },
  },
  {
    rec: { decision: 'deny', mode: 'enforce', mcpMethod: 'x/custom', reasonCode: 'made_up_code', tool: undefined, durationSeconds: 3 },
    labels: { decision: 'deny', mode: 'enforce', mcp_method: 'other', reason_code: 'other', tool: 'none' },
  },
  {
    rec: { decision: 'allow', mode: 'enforce', mcpMethod: 'tools/call', reasonCode: 'allowed', tool: 'we"ird\\tool', durationSeconds: 0.0005 },
    labels: { decision: 'allow', mode: 'enforce', mcp_method: 'tools/call', reason_code: 'allowed', tool: 'we"ird\\tool' },
  },
  {
    rec: {
      decision: 'allow',
      mode: 'enforce',
      mcpMethod: 'resources/templates/list',
      reasonCode: 'allowed',
      tool: undefined,
      durationSeconds: 0.0005,
    },
    labels: { decision: 'allow', mode: 'enforce', mcp_method: 'resources/templates/list', reason_code: 'allowed', tool: 'none' },
  },
];

describe('metrics', () => {
  it('counts checks by bounded labels', async () => {
    const m = createMetrics({ knownTools: KNOWN, collectDefaults: false });
    for (const { rec } of TABLE) m.recordCheck(rec);
    for (const { rec } of TABLE.slice(0, 3)) m.recordCheck(rec);
    const e = parseExposition(await m.metricsText());
    expect(e.types.get('mcp_authz_checks_total')).toBe('counter');

    const expected = new Map<string, { labels: Record<string, string>; n: number }>();
    for (const [i, { labels }] of TABLE.entries()) {
      const k = JSON.stringify(labels);
      const prev = expected.get(k);
      expected.set(k, { labels, n: (prev?.n ?? 0) + (i < 3 ? 2 : 1) });
    }
    for (const { labels, n } of expected.values()) expect(sampleValue(e, 'mcp_authz_checks_total', labels), JSON.stringify(labels)).toBe(n);
    expect(samplesOf(e, 'mcp_authz_checks_total')).toHaveLength(expected.size);
  });

  it('observes check durations into the 50 µs … 1 s histogram', async () => {
    const m = createMetrics({ knownTools: KNOWN, collectDefaults: false });
    const durations = TABLE.map((t) => t.rec.durationSeconds);
    for (const { rec } of TABLE) m.recordCheck(rec);
    m.recordCheck({ ...TABLE[0]!.rec, durationSeconds: Number.NaN });
    m.recordCheck({ ...TABLE[0]!.rec, durationSeconds: -1 });
    const e = parseExposition(await m.metricsText());
    expect(e.types.get('mcp_authz_check_duration_seconds')).toBe('histogram');
    // No cache status given: cache="off".
    expect(sampleValue(e, 'mcp_authz_check_duration_seconds_count', { cache: 'off' })).toBe(durations.length);
    expect(sampleValue(e, 'mcp_authz_check_duration_seconds_sum', { cache: 'off' })).toBeCloseTo(
      durations.reduce((a, b) => a + b, 0),
      9,
    );
    const buckets = samplesOf(e, 'mcp_authz_check_duration_seconds_bucket');
    const le = (s: string | undefined): number => (s === '+Inf' ? Infinity : Number(s));
    expect(buckets.every((b) => b.labels.cache === 'off')).toBe(true);
    expect(buckets.map((b) => le(b.labels.le))).toEqual([...CHECK_DURATION_BUCKETS, Infinity]);
    for (const b of buckets) expect(b.value, `le=${b.labels.le}`).toBe(durations.filter((d) => d <= le(b.labels.le)).length);
    // The two bad durations were still counted as checks.
    const same = TABLE.filter((t) => JSON.stringify(t.labels) === JSON.stringify(TABLE[0]!.labels)).length;
    expect(sampleValue(e, 'mcp_authz_checks_total', TABLE[0]!.labels)).toBe(same + 2);
  });

  it('times policy evaluations', async () => {
    const m = createMetrics({ collectDefaults: false });
    const evals = [0.00002, 0.00007, 0.0004, 0.03];
    for (const s of evals) m.recordEval(s);
    const e = parseExposition(await m.metricsText());
    expect(sampleValue(e, 'mcp_authz_policy_eval_duration_seconds_count')).toBe(evals.length);
    expect(sampleValue(e, 'mcp_authz_policy_eval_duration_seconds_bucket', { le: '0.0001' })).toBe(evals.filter((s) => s <= 0.0001).length);
    expect(sampleValue(e, 'mcp_authz_policy_eval_duration_seconds_bucket', { le: '+Inf' })).toBe(evals.length);
  });

  it('counts cache hits, misses and evictions and reads the cache size at scrape time', async () => {
    const m = createMetrics({ collectDefaults: false });
    let size = 7;
    m.setCacheSizeSource(() => size);
    for (let i = 0; i < 5; i++) m.recordCacheHit();
    for (let i = 0; i < 3; i++) m.recordCacheMiss();
    m.recordCacheEviction();
    let e = parseExposition(await m.metricsText());
    expect(sampleValue(e, 'mcp_authz_decision_cache_hits_total')).toBe(5);
    expect(sampleValue(e, 'mcp_authz_decision_cache_misses_total')).toBe(3);
    expect(sampleValue(e, 'mcp_authz_decision_cache_evictions_total')).toBe(1);
    expect(sampleValue(e, 'mcp_authz_decision_cache_size')).toBe(7);
    size = 42;
    e = parseExposition(await m.metricsText());
    expect(sampleValue(e, 'mcp_authz_decision_cache_size')).toBe(42);
    m.setCacheSizeSource(() => {
      throw new Error('cache gone');
    });
    e = parseExposition(await m.metricsText()); // the scrape still succeeds, with the last value
    expect(sampleValue(e, 'mcp_authz_decision_cache_size')).toBe(42);
  });

  it('reports the active policy only, reloads by result, and the last success', async () => {
    const m = createMetrics({ collectDefaults: false });
    let e = parseExposition(await m.metricsText());
    expect(samplesOf(e, 'mcp_authz_policy_info')).toHaveLength(0);
    expect(sampleValue(e, 'mcp_authz_policy_reloads_total', { result: 'success' })).toBe(0);
    expect(sampleValue(e, 'mcp_authz_policy_reloads_total', { result: 'failure' })).toBe(0);
    expect(sampleValue(e, 'mcp_authz_policy_last_success_timestamp_seconds')).toBe(0);
    expect(sampleValue(e, 'mcp_authz_policy_seconds_since_last_success')).toBeGreaterThanOrEqual(0);

    const before = Date.now() / 1000;
    m.setPolicy('rev-1', '/policies/a.tar.gz');
    m.setPolicy('rev-2', 'https://bundles.example/b.tar.gz');
    m.recordReload(true);
    m.recordReload(false);
    m.recordReload(false);
    const after = Date.now() / 1000;
    e = parseExposition(await m.metricsText());
    expect(samplesOf(e, 'mcp_authz_policy_info')).toEqual([
      { name: 'mcp_authz_policy_info', labels: { revision: 'rev-2', source: 'https://bundles.example/b.tar.gz' }, value: 1 },
    ]);
    expect(sampleValue(e, 'mcp_authz_policy_reloads_total', { result: 'success' })).toBe(1);
    expect(sampleValue(e, 'mcp_authz_policy_reloads_total', { result: 'failure' })).toBe(2);
    const last = sampleValue(e, 'mcp_authz_policy_last_success_timestamp_seconds');
    expect(last).toBeGreaterThanOrEqual(before);
    expect(last).toBeLessThanOrEqual(after);
    expect(sampleValue(e, 'mcp_authz_policy_seconds_since_last_success')).toBeGreaterThanOrEqual(0);
  });

  it('counts body parse failures by bounded code', async () => {
    const m = createMetrics({ collectDefaults: false });
    m.recordParseFailure(REASON.bodyInvalidJson);
    m.recordParseFailure(REASON.bodyInvalidJson);
    m.recordParseFailure(REASON.jsonrpcInvalidVersion);
    m.recordParseFailure('attacker-chosen-code');
    const e = parseExposition(await m.metricsText());
    expect(sampleValue(e, 'mcp_authz_body_parse_failures_total', { code: 'body_invalid_json' })).toBe(2);
    expect(sampleValue(e, 'mcp_authz_body_parse_failures_total', { code: 'jsonrpc_invalid_version' })).toBe(1);
    expect(sampleValue(e, 'mcp_authz_body_parse_failures_total', { code: 'other' })).toBe(1);
    expect(samplesOf(e, 'mcp_authz_body_parse_failures_total')).toHaveLength(3);
  });

  it('uses its own registry, with the Node.js process metrics only when asked', async () => {
    const a = createMetrics({ collectDefaults: true });
    const b = createMetrics({ collectDefaults: false });
    a.recordCacheHit();
    const ta = await a.metricsText();
    const tb = await b.metricsText();
    expect(ta).toMatch(/^process_cpu_user_seconds_total \d/m);
    expect(ta).toMatch(/^nodejs_eventloop_lag_seconds /m);
    expect(tb).not.toMatch(/^process_|^nodejs_/m);
    expect(sampleValue(parseExposition(tb), 'mcp_authz_decision_cache_hits_total')).toBe(0);
    expect(await globalRegistry.metrics()).not.toContain('mcp_authz_');
    expect(a.contentType).toMatch(/^text\/plain; version=0\.0\.4/);
    expect((await a.text()).contentType).toBe(a.contentType);
  });

  it('keeps label cardinality bounded under 10,000 random tool names and methods', async () => {
    const m = createMetrics({ knownTools: KNOWN, collectDefaults: false });
    const decisions = ['allow', 'deny', 'require_approval', 'error'] as const;
    const reasons = [...Object.values(REASON), 'x'];
    const methods = fc.sample(
      fc.oneof(
        fc.string(),
        fc.constantFrom(...MCP_METHOD_LABELS),
        fc.string().map((s) => `notifications/${s}`),
      ),
      { numRuns: 10_000, seed: 42 },
    );
    const tools = fc.sample(fc.oneof(fc.string({ minLength: 1 }), fc.constantFrom(...KNOWN)), { numRuns: 10_000, seed: 7 });
    for (let i = 0; i < 10_000; i++) {
      m.recordCheck({
        decision: decisions[i % 4]!,
        mode: i % 3 ? 'enforce' : 'audit',
        mcpMethod: methods[i],
        isBatch: i % 97 === 0,
        reasonCode: reasons[i % reasons.length]!,
        tool: i % 5 ? tools[i] : undefined,
        durationSeconds: 0.001,
      });
    }
    const text = await m.metricsText();
    const series = samplesOf(parseExposition(text), 'mcp_authz_checks_total');
    const allowed = {
      decision: new Set<string>(decisions),
      mode: new Set(['enforce', 'audit']),
      mcp_method: new Set([...MCP_METHOD_LABELS, 'notification', 'batch', 'response', 'none', 'other']),
      reason_code: new Set([...Object.values(REASON), 'other']),
      tool: new Set([...KNOWN, 'other', 'none']),
    };
    for (const s of series) for (const [k, v] of Object.entries(s.labels)) expect(allowed[k as keyof typeof allowed].has(v), `${k}=${v}`).toBe(true);
    const bound = Object.values(allowed).reduce((n, set) => n * set.size, 1);
    expect(series.length).toBeLessThanOrEqual(bound);
    expect(series.reduce((n, s) => n + s.value, 0)).toBe(10_000);
    const outsiders = [...new Set([...methods, ...tools])].filter(
      (s) => s.length > 3 && !allowed.mcp_method.has(s) && !KNOWN.includes(s) && /^[A-Za-z0-9]+$/.test(s),
    );
    expect(outsiders.length).toBeGreaterThan(0);
    for (const s of outsiders) expect(text).not.toContain(`"${s}"`);
  });

  it('labels methods', () => {
    expect(methodLabel('tools/call')).toBe('tools/call');
    expect(methodLabel('notifications/cancelled')).toBe('notification');
    expect(methodLabel('tools/call', true)).toBe('batch');
    expect(methodLabel(undefined, false, true)).toBe('response');
    expect(methodLabel(undefined)).toBe('none');
    expect(methodLabel('Tools/Call')).toBe('other');
    expect(methodLabel('__proto__')).toBe('other');
  });
});
