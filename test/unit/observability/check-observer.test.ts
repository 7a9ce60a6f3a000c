import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createCheckPipeline, type CheckPipelineOptions } from '../../../src/check/pipeline.js';
import type { CheckSettings } from '../../../src/check/settings.js';
import type { Policy } from '../../../src/rego-wasm/opa-wasm.js';
import { createCheckRecorder, spanResult } from '../../../src/observability/check-observer.js';
import { createDecisionLogger } from '../../../src/observability/decision-log.js';
import { createMetrics } from '../../../src/observability/metrics.js';
import { createTracing } from '../../../src/observability/tracing.js';
import { mcpCheckRequest, toolCall } from '../../helpers/requests.js';
import { parseExposition, sampleValue } from './prom-text.js';
import { DEFAULT_LIMITS } from '../../helpers/pipeline.js';

const settings: CheckSettings = {
  limits: DEFAULT_LIMITS,
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
    artifact: {
      wasm: new Uint8Array(),
      dataJson: '{}',
      entrypoint: 'mcp/authz/decision',
      source: 'test',
      revision: 'rev',
      sha256: 'x',
      maxMemoryPages: 16,
    },
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
  return { metrics, log, lines, observe: createCheckRecorder(metrics, log) };
}

/** One check through the pipeline without a recorder: the recorder under test is called by hand. */
const runCheck = (request: unknown, policy: () => Policy | undefined, s: CheckSettings, extra: Partial<CheckPipelineOptions> = {}) =>
  createCheckPipeline({ settings: s, policy, ...extra }).check(request as never);
const withDuration = <T extends { durationSeconds: number }>(o: T, durationSeconds: number): T => ({ ...o, durationSeconds });

const refund = mcpCheckRequest(toolCall('process_refund', { amount: 900 }), { path: '/v1/refund', headers: { 'x-request-id': 'req-42' } });

describe('check observer', () => {
  it('records an audit would-deny as allowed in audit mode, with its rule, request id and trace id', async () => {
    const { metrics, lines, observe } = setup();
    const policy = policyReturning({
      allowed: true,
      dynamic_metadata: { mode: 'audit', would_deny: true, rule: 'max-refund-amount', message: 'Refund amount exceeds the $500 limit' },
    });
    const outcome = await runCheck(refund, () => policy, settings);
    observe(withDuration(outcome, 0.0004), { traceId: 'abc', child: () => () => undefined }, { decisionId: 'd-1' });
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
    expect(
      sampleValue(e, 'mcp_authz_checks_total', {
        decision: 'allow',
        mode: 'audit',
        mcp_method: 'tools/call',
        reason_code: 'allowed',
        tool: 'process_refund',
      }),
    ).toBe(1);
  });

  it('labels server-side failures `error` and counts parse failures', async () => {
    const { metrics, lines, observe } = setup();
    observe(await runCheck(refund, () => undefined, settings));
    observe(await runCheck(mcpCheckRequest('{"jsonrpc":'), () => policyReturning(true), settings));
    expect(lines.map((l) => [l.decision, l.reason_code, l.http_status])).toEqual([
      ['error', 'policy_not_loaded', 503],
      ['deny', 'body_invalid_json', 400],
    ]);
    expect(lines[0]!.decision_id).toMatch(/^[0-9a-f-]{36}$/);
    const e = parseExposition(await metrics.metricsText());
    expect(
      sampleValue(e, 'mcp_authz_checks_total', {
        decision: 'error',
        mode: 'enforce',
        mcp_method: 'tools/call',
        reason_code: 'policy_not_loaded',
        tool: 'process_refund',
      }),
    ).toBe(1);
    expect(sampleValue(e, 'mcp_authz_body_parse_failures_total', { code: 'body_invalid_json' })).toBe(1);
  });

  it('counts every check but logs sampled-out allows not at all', async () => {
    const { metrics, lines, observe } = setup(0);
    const outcome = await runCheck(refund, () => policyReturning(true), settings);
    for (let i = 0; i < 20; i++) observe(outcome);
    observe(await runCheck(refund, () => policyReturning(false), settings));
    expect(lines.map((l) => l.decision)).toEqual(['deny']);
    const e = parseExposition(await metrics.metricsText());
    expect(sampleValue(e, 'mcp_authz_check_duration_seconds_count', { cache: 'off' })).toBe(21);
  });

  it('the pipeline gives the recorder its span; the recorder ends it from the same record as metrics and log', async () => {
    const { metrics, lines } = setup();
    const log = createDecisionLogger({
      destination: new Writable({
        write: (c, _e, cb) => {
          lines.push(JSON.parse(String(c)));
          cb();
        },
      }),
    });
    const tracing = await createTracing({
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://127.0.0.1:9/v1/traces',
      OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/json',
    });
    const ended: unknown[] = [];
    const children: string[] = [];
    const outcome = await createCheckPipeline({
      settings,
      policy: () => policyReturning({ allowed: false, rule: 'refund_cap', message: 'too much' }),
      startSpan: (headers) => {
        const span = tracing.startCheck({ ...headers, traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' });
        return {
          traceId: span.traceId,
          child: (name: string) => {
            children.push(name);
            return span.child(name);
          },
          end: (r: Parameters<typeof span.end>[0]) => {
            ended.push(r);
            return span.end(r);
          },
        };
      },
      record: createCheckRecorder(metrics, log),
    }).check(refund as never);
    const result = spanResult(outcome);
    expect(result).toEqual({
      decision: 'deny',
      rule: 'refund_cap',
      revision: 'rev-9',
      mcpMethod: 'tools/call',
      tool: 'process_refund',
      reasonCode: 'policy_denied',
      error: 'policy_denied: refund_cap',
      agent: undefined,
      approvalId: undefined,
      approvedBy: undefined,
      cache: 'off',
    });
    expect(ended).toEqual([result]);
    expect(children).toEqual(['decode', 'input', 'facts', 'evaluate', 'decide', 'respond']);
    expect(lines.at(-1)).toMatchObject({
      decision: 'deny',
      rule: 'refund_cap',
      reason_code: 'policy_denied',
      trace_id: '4bf92f3577b34da6a3ce929d0e0e4736',
    });
    const e = parseExposition(await metrics.metricsText());
    expect(
      sampleValue(e, 'mcp_authz_checks_total', {
        decision: 'deny',
        mode: 'enforce',
        mcp_method: 'tools/call',
        reason_code: 'policy_denied',
        tool: 'process_refund',
      }),
    ).toBe(1);
    expect(sampleValue(e, 'mcp_authz_policy_eval_duration_seconds_count')).toBe(1);
    await expect(tracing.shutdown(200)).resolves.toBeUndefined(); // nothing listens on port 9: the export fails quietly
  });
});
