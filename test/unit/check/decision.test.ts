import { describe, expect, it } from 'vitest';
import { interpretResult, validateDecision } from '../../../src/check/decision.js';

const opts = { validHttpStatus: new Set([200, 400, 401, 403, 413, 429, 500, 503]), defaultDenyStatus: 403, defaultApprovalStatus: 403 };

describe('interpretResult', () => {
  it('treats an undefined decision as an error, never an allow', () => {
    expect(interpretResult([], opts)).toMatchObject({ ok: false, code: 'decision_undefined' });
    expect(interpretResult(undefined, opts)).toMatchObject({ ok: false, code: 'decision_undefined' });
    expect(interpretResult([{}], opts)).toMatchObject({ ok: false, code: 'decision_undefined' });
    expect(interpretResult([{ result: true }, { result: true }], opts)).toMatchObject({ ok: false, code: 'decision_invalid' });
  });

  it('accepts booleans', () => {
    expect(interpretResult([{ result: true }], opts)).toMatchObject({ ok: true, decision: { allowed: true, kind: 'allow', reasonCode: 'allowed' } });
    expect(interpretResult([{ result: false }], opts)).toMatchObject({ ok: true, decision: { allowed: false, kind: 'deny', httpStatus: 403 } });
  });
});

describe('validateDecision', () => {
  it.each([
    ['a string', 'allow'],
    ['a number', 1],
    ['null', null],
    ['an array', [true]],
    ['an object without allowed', { rule: 'x' }],
    ['allowed as a string', { allowed: 'true' }],
    ['a contradicting decision', { allowed: true, decision: 'deny' }],
    ['an unknown decision kind', { allowed: false, decision: 'maybe' }],
    ['headers with CRLF', { allowed: true, headers: { 'x-a': 'v\r\nx-evil: 1' } }],
    ['headers with a bad name', { allowed: true, headers: { 'x a': 'v' } }],
    ['headers as a string', { allowed: true, headers: 'x-a: 1' }],
    ['a non-string header value', { allowed: true, headers: { 'x-a': 1 } }],
    ['an unknown http_status', { allowed: false, http_status: 299 }],
    ['a fractional http_status', { allowed: false, http_status: 403.5 }],
    ['a non-string body', { allowed: false, body: { a: 1 } }],
    ['non-object dynamic metadata', { allowed: true, dynamic_metadata: [1] }],
    ['non-string removals', { allowed: true, request_headers_to_remove: [1] }],
    ['a non-string rule', { allowed: false, rule: 7 }],
  ])('rejects %s', (_name, raw) => {
    const r = validateDecision(raw, opts);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.code).toBe('decision_invalid');
      expect(r.message).toMatch(/invalid policy decision/);
    }
  });

  it('accepts the full OPA Envoy plugin shape', () => {
    const r = validateDecision(
      {
        allowed: true,
        headers: [{ 'x-a': 'A' }, { 'x-b': ['1', '2'] }],
        request_headers_to_remove: ['x-remove'],
        response_headers_to_add: { 'x-resp': 'r' },
        query_parameters_to_set: { q: 'v', r: ['1', '2'] },
        query_parameters_to_remove: ['token'],
        dynamic_metadata: { rule: 'ok', n: 1 },
        rule: 'r1',
        message: 'm',
      },
      opts,
    );
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.decision.headers).toEqual([
      { key: 'x-a', value: 'A', appendAction: 'OVERWRITE_IF_EXISTS_OR_ADD' },
      { key: 'x-b', value: '1', appendAction: 'OVERWRITE_IF_EXISTS_OR_ADD' },
      { key: 'x-b', value: '2', appendAction: 'APPEND_IF_EXISTS_OR_ADD' },
    ]);
    expect(r.decision.responseHeadersToAdd).toEqual([{ key: 'x-resp', value: 'r', appendAction: 'OVERWRITE_IF_EXISTS_OR_ADD' }]);
    expect(r.decision.queryParametersToSet).toEqual([
      { key: 'q', value: 'v' },
      { key: 'r', value: '1' },
      { key: 'r', value: '2' },
    ]);
    expect(r.decision.requestHeadersToRemove).toEqual(['x-remove']);
    expect(r.decision.queryParametersToRemove).toEqual(['token']);
    expect(r.decision.dynamicMetadata).toEqual({ rule: 'ok', n: 1 });
  });

  it('reads denial status, body, rule and message; require_approval is a non-allow', () => {
    const deny = validateDecision({ allowed: false, http_status: 429, body: 'slow down', rule: 'rate', message: 'm' }, opts);
    expect(deny).toMatchObject({
      ok: true,
      decision: { allowed: false, kind: 'deny', httpStatus: 429, body: 'slow down', rule: 'rate', reasonCode: 'policy_denied' },
    });
    const approval = validateDecision({ allowed: false, decision: 'require_approval', rule: 'big_payment' }, opts);
    expect(approval).toMatchObject({ ok: true, decision: { allowed: false, kind: 'require_approval', reasonCode: 'approval_required' } });
  });
});
