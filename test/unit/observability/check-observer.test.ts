import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { runCheck, type CheckSettings } from '../../../src/authz/check.js';
import type { Policy } from '../../../src/policy/opa-wasm.js';
import { DEFAULT_BODY_LIMITS } from '../../../src/mcp/parse-body.js';
import { createCheckObserver, spanResult } from '../../../src/observability/check-observer.js';
import { createDecisionLogger } from '../../../src/observability/decision-log.js';
import { createMetrics } from '../../../src/observability/metrics.js';
import { createTracing } from '../../../src/observability/tracing.js';
import { mcpCheckRequest, toolCall } from '../../helpers/requests.js';
import { parseExposition, valueOf } from './prom-text.js';

const settings: CheckSettings = {
  limits: DEFAULT_BODY_LIMITS,
  malformed: 'deny',
  decision: { validHttpStatus: new Set([400, 403, 413, 415, 428, 500, 503]), defaultDenyStatus: 403, defaultApprovalStatus: 428 },
  response: { managedHeaders: [] },
};

/** A policy whose raw result is fixed: the observer is under test here, not evaluation. */
function policyReturning(result: unknown): Policy {
  return {
    revision: 'rev-9',
    source: 'test',
    sha256: 'x',
    dataSha256: 'y',
    entrypoint: 'mcp_authz/decision',
    entrypoints: ['mcp_authz/decision'],
    loadedAt: new Date(),
    requiredBuiltins: [],
    nondeterministic: false,
    mode: 'enforce',
    artifact: { wasm: new Uint8Array(), dataJson: '{}', entrypoint: 'mcp/authz/decision', source: 'test', revision: 'rev', sha256: 'x', maxMemoryPages: 16 },
    evaluate: () => [{ result }],
  };
}

function setup(allowSampleRate = 1) {
  const lines: Record<string, any>[] = [];
  const sink = new Writable({
    write(chunk, _enc, cb) {
      for (const l of String(chunk).split('\n')) if (l.trim()) lines.push(JSON.parse(l));
      cb();
    },
  });
  const metrics = createMetrics({ knownTools: ['process_refund'], collectDefaults: false });
  const log = createDecisionLogger({ destination: sink, allowSampleRate });
  return { metrics, log, lines, observe: createCheckObserver(metrics, log) };
}

const refund = mcpCheckRequest(toolCall('process_refund', { amount: 900 }), { path: '/v1/refund', headers: { 'x-request-id': 'req-42' } });

describe('check observer', () => {
  it('records an audit would-deny as allowed in audit mode, with its rule, request id and trace id', async () => {
    const { metrics, lines, observe } = setup();
    const policy = policyReturning({ allowed: true, dynamic_metadata: { mode: 'audit', would_deny: true, rule: 'max-refund-amount', message: 'Refund amount exceeds the $500 limit' } });
    const outcome = await runCheck(refund, () => policy, settings);
    observe({ outcome, durationSeconds: 0.0004, traceId: 'abc', decisionId: 'd-1' });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      msg: 'policy_decision',
      decision: 'allow',
      wouldDeny: true,
      mode: 'audit',
      policy: 'rev-9',
      rule: 'max-refund-amount',
      message: 'Refund amount exceeds the $500 limit',
      path: '/v1/refund',
      method: 'POST',
      mcp: { method: 'tools/call', tool: 'process_refund', id: 2 },
      decision_id: 'd-1',
      trace_id: 'abc',
      request_id: 'req-42',
      duration_us: 400,
      reason_code: 'allowed',
    });
    const e = parseExposition(await metrics.metricsText());
    expect(valueOf(e, 'mcp_authz_checks_total', { decision: 'allow', mode: 'audit', mcp_method: 'tools/call', reason_code: 'allowed', tool: 'process_refund' })).toBe(1);
  });

  it('labels server-side failures `error` and counts parse failures', async () => {
    const { metrics, lines, observe } = setup();
    observe({ outcome: await runCheck(refund, () => undefined, settings), durationSeconds: 0.0001 });
    observe({ outcome: await runCheck(mcpCheckRequest('{"jsonrpc":'), () => policyReturning(true), settings), durationSeconds: 0.0001 });
    expect(lines.map((l) => [l.decision, l.reason_code, l.http_status])).toEqual([
      ['error', 'policy_not_loaded', 503],
      ['deny', 'body_invalid_json', 400],
    ]);
    expect(lines[0]!.decision_id).toMatch(/^[0-9a-f-]{36}$/);
    const e = parseExposition(await metrics.metricsText());
    expect(valueOf(e, 'mcp_authz_checks_total', { decision: 'error', mode: 'enforce', mcp_method: 'tools/call', reason_code: 'policy_not_loaded', tool: 'process_refund' })).toBe(1);
    expect(valueOf(e, 'mcp_authz_body_parse_failures_total', { code: 'body_invalid_json' })).toBe(1);
  });

  it('counts every check but logs sampled-out allows not at all', async () => {
    const { metrics, lines, observe } = setup(0);
    const outcome = await runCheck(refund, () => policyReturning(true), settings);
    for (let i = 0; i < 20; i++) observe({ outcome, durationSeconds: 0.0001 });
    observe({ outcome: await runCheck(refund, () => policyReturning(false), settings), durationSeconds: 0.0001 });
    expect(lines.map((l) => l.decision)).toEqual(['deny']);
    const e = parseExposition(await metrics.metricsText());
    expect(valueOf(e, 'mcp_authz_check_duration_seconds_count')).toBe(21);
  });

  it('gives runCheck real child spans and ends the check span from the outcome', async () => {
    const tracing = createTracing({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://127.0.0.1:9/v1/traces', OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/json' });
    const span = tracing.startCheck({ traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' });
    const outcome = await runCheck(refund, () => policyReturning({ allowed: false, rule: 'refund_cap', message: 'too much' }), settings, {}, span.child);
    const result = spanResult(outcome);
    expect(result).toEqual({ decision: 'deny', rule: 'refund_cap', revision: 'rev-9', mcpMethod: 'tools/call', tool: 'process_refund', reasonCode: 'policy_denied', error: 'policy_denied: refund_cap' });
    span.end(result);
    expect(span.traceId).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    await expect(tracing.shutdown(200)).resolves.toBeUndefined(); // nothing listens on port 9: the export fails quietly
  });
});
