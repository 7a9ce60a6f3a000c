import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { toCheckResponse } from '../../../src/check/response.js';
import { failureDecision } from '../../../src/check/failure.js';
import { validateDecision } from '../../../src/check/decision.js';
import { REASON, type ReasonCode } from '../../../src/shared/errors.js';
import { DEFAULT_LIMITS, inputOf } from '../../helpers/pipeline.js';

const opts = { validHttpStatus: new Set([400, 403, 413, 429, 500, 503]), defaultDenyStatus: 403, defaultApprovalStatus: 403 };
const mk = (raw: unknown) => {
  const r = validateDecision(raw, opts);
  if (!r.ok) throw new Error(r.message);
  return r.decision;
};

describe('toCheckResponse', () => {
  it('allow: OK status, headers with explicit append_action, managed headers stripped unless set', () => {
    const res = toCheckResponse(mk({ allowed: true, headers: { 'x-authz-team': 'support' }, dynamic_metadata: { a: { b: [1, 'x', null, true] } } }), {
      managedHeaders: ['X-Authz-Team', 'x-authz-customer'],
    });
    expect(res.status).toEqual({ code: 0 });
    expect(res.denied_response).toBeUndefined();
    expect(res.ok_response?.headers).toEqual([{ header: { key: 'x-authz-team', value: 'support' }, append_action: 'OVERWRITE_IF_EXISTS_OR_ADD' }]);
    const removed = res.ok_response?.headers_to_remove ?? [];
    // managed headers not set, in every -/_ spelling; the underscore twins of the one set; the reserved approval id
    expect(removed).toEqual(expect.arrayContaining(['x-authz-customer', 'x_authz_customer', 'x-authz_customer', 'x_authz-team', 'x_authz_team']));
    expect(removed).toEqual(expect.arrayContaining(['x-mcp-authz-approval-id', 'x_mcp_authz_approval_id', 'x-mcp_authz-approval-id']));
    expect(removed).not.toContain('x-authz-team');
    expect(res.dynamic_metadata).toEqual({
      fields: {
        a: {
          structValue: {
            fields: { b: { listValue: { values: [{ numberValue: 1 }, { stringValue: 'x' }, { nullValue: 'NULL_VALUE' }, { boolValue: true }] } } },
          },
        },
      },
    });
  });

  it('deny: PERMISSION_DENIED with the standard JSON body', () => {
    const res = toCheckResponse(mk({ allowed: false, rule: 'url_not_allowed', message: 'URL not in approved list' }), { managedHeaders: [] });
    expect(res.status.code).toBe(7);
    expect(res.ok_response).toBeUndefined();
    expect(res.denied_response?.status).toEqual({ code: 403 });
    expect(res.denied_response?.headers).toContainEqual({
      header: { key: 'content-type', value: 'application/json' },
      append_action: 'OVERWRITE_IF_EXISTS_OR_ADD',
    });
    expect(JSON.parse(res.denied_response!.body)).toEqual({ error: 'policy_denied', rule: 'url_not_allowed', message: 'URL not in approved list' });
  });

  it('deny keeps a policy-supplied body and headers', () => {
    const res = toCheckResponse(mk({ allowed: false, http_status: 429, body: 'nope', headers: { 'content-type': 'text/plain' } }), {
      managedHeaders: [],
    });
    expect(res.denied_response).toEqual({
      status: { code: 429 },
      headers: [{ header: { key: 'content-type', value: 'text/plain' }, append_action: 'OVERWRITE_IF_EXISTS_OR_ADD' }],
      body: 'nope',
    });
  });

  it('server-side failures deny with their code and status', () => {
    const res = toCheckResponse(failureDecision(REASON.policyEvalError, 'boom'), { managedHeaders: [] });
    expect(res.status.code).toBe(7);
    expect(res.denied_response?.status.code).toBe(500);
    expect(JSON.parse(res.denied_response!.body)).toEqual({
      error: 'authz_error',
      code: 'policy_eval_error',
      rule: 'policy_eval_error',
      message: 'boom',
    });
    const bad = toCheckResponse(failureDecision(REASON.bodyDuplicateKey, 'dup'), { managedHeaders: [] });
    expect(bad.denied_response?.status.code).toBe(400);
    expect(JSON.parse(bad.denied_response!.body).error).toBe('invalid_request');
  });

  it('invariant: every non-allow has status PERMISSION_DENIED, every header an append_action', () => {
    const codes = Object.values(REASON) as ReasonCode[];
    fc.assert(
      fc.property(fc.constantFrom(...codes), fc.string(), (code, message) => {
        const res = toCheckResponse(failureDecision(code, message), { managedHeaders: ['x-m'] });
        expect(res.status.code).toBe(7);
        expect(res.ok_response).toBeUndefined();
        for (const h of res.denied_response!.headers) expect(h.append_action).toMatch(/^[A-Z_]+$/);
      }),
    );
  });
});

describe('wire round trip through the real message types', () => {
  it('dynamic_metadata and request metadata Structs survive serialisation', async () => {
    const { loadDescriptors } = await import('../../../src/envoy/descriptors.js');
    const { packageDefinition } = loadDescriptors();
    const resType = packageDefinition['envoy.service.auth.v3.CheckResponse'] as any;
    const res = toCheckResponse(mk({ allowed: false, dynamic_metadata: { mode: 'audit', would_deny: false, n: 2, l: ['a', { b: null }] } }), {
      managedHeaders: [],
    });
    const back = resType.deserialize(resType.serialize(res));
    expect(back.dynamic_metadata.fields.mode).toEqual({ stringValue: 'audit' });
    expect(back.dynamic_metadata.fields.l.listValue.values[1].structValue.fields.b).toEqual({ nullValue: 'NULL_VALUE' });
    expect(back.denied_response.headers[0].append_action).toBe('OVERWRITE_IF_EXISTS_OR_ADD');

    const reqType = packageDefinition['envoy.service.auth.v3.CheckRequest'] as any;
    const wire = reqType.serialize({
      attributes: {
        metadata_context: { filter_metadata: { jwt: { fields: { sub: { stringValue: 'u1' }, n: { numberValue: 1 } } } } },
        request: { http: { method: 'GET', path: '/' } },
      },
    });
    const { input } = inputOf(reqType.deserialize(wire), DEFAULT_LIMITS);
    expect((input.attributes as any).metadataContext.filterMetadata.jwt).toEqual({ sub: 'u1', n: 1 });
  });
});
