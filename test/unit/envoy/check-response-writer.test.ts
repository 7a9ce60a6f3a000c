import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { CheckResponseWire } from '../../../src/check/response.js';
import { writeCheckResponse } from '../../../src/envoy/check-response-writer.js';
import { loadDescriptors } from '../../../src/envoy/descriptors.js';

// The oracle: proto-loader's serializer, the one grpc-js used to answer Check.
const method = loadDescriptors().packageDefinition['envoy.service.auth.v3.Authorization'] as unknown as {
  Check: { responseSerialize(v: unknown): Buffer; responseDeserialize(b: Buffer): unknown };
};

function expectSameBytes(res: CheckResponseWire): void {
  const expected = method.Check.responseSerialize(res);
  const actual = writeCheckResponse(res);
  expect(actual.toString('hex')).toBe(expected.toString('hex'));
  const framed = writeCheckResponse(res, true);
  expect(framed.subarray(5).equals(expected)).toBe(true);
  expect(method.Check.responseDeserialize(actual)).toEqual(method.Check.responseDeserialize(expected));
}

const text = fc.oneof(fc.string({ maxLength: 10 }), fc.string({ unit: 'binary', maxLength: 6 }), fc.constant(''));
const action = fc.constantFrom('APPEND_IF_EXISTS_OR_ADD', 'ADD_IF_ABSENT', 'OVERWRITE_IF_EXISTS_OR_ADD', 'OVERWRITE_IF_EXISTS');
const header = fc.record(
  {
    header: fc.record({ key: text, value: text }, { requiredKeys: [] }),
    append_action: action,
    keep_empty_value: fc.boolean(),
    append: fc.record({ value: fc.boolean() }),
  },
  { requiredKeys: [] },
);
const value: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  v: fc.oneof(
    { depthSize: 'small' },
    fc.constant({ nullValue: 'NULL_VALUE' }),
    text.map((s) => ({ stringValue: s })),
    fc.double().map((n) => ({ numberValue: n })),
    fc.boolean().map((b) => ({ boolValue: b })),
    tie('s').map((s) => ({ structValue: s })),
    fc.array(tie('v'), { maxLength: 3 }).map((values) => ({ listValue: { values } })),
  ),
  s: fc.dictionary(text, tie('v'), { maxKeys: 3 }).map((fields) => ({ fields })),
})).s;
const response = fc.record(
  {
    status: fc.record({ code: fc.oneof(fc.constantFrom(0, 7), fc.integer()), message: text }, { requiredKeys: ['code'] }),
    denied_response: fc.record(
      { status: fc.record({ code: fc.constantFrom(400, 401, 403, 429, 500, 503) }), headers: fc.array(header, { maxLength: 3 }), body: text },
      { requiredKeys: [] },
    ),
    ok_response: fc.record(
      {
        headers: fc.array(header, { maxLength: 3 }),
        headers_to_remove: fc.array(text, { maxLength: 3 }),
        response_headers_to_add: fc.array(header, { maxLength: 2 }),
        query_parameters_to_set: fc.array(fc.record({ key: text, value: text }, { requiredKeys: [] }), { maxLength: 2 }),
        query_parameters_to_remove: fc.array(text, { maxLength: 2 }),
        dynamic_metadata: value,
      },
      { requiredKeys: [] },
    ),
    dynamic_metadata: value,
  },
  { requiredKeys: ['status'] },
) as fc.Arbitrary<CheckResponseWire>;

describe('writeCheckResponse: the bytes proto-loader writes', () => {
  it('an allow and a denial as check/response.ts builds them', () => {
    expectSameBytes({
      status: { code: 0 },
      ok_response: {
        headers: [{ header: { key: 'x-mcp-tool', value: 'fetch_url' }, append_action: 'OVERWRITE_IF_EXISTS_OR_ADD' }],
        headers_to_remove: ['x-mcp-authz-approval-id', 'x_mcp_authz_approval_id'],
        response_headers_to_add: [],
        query_parameters_to_set: [],
        query_parameters_to_remove: [],
      },
      dynamic_metadata: {
        fields: { decision_id: { stringValue: 'd' }, n: { numberValue: 1.5 }, l: { listValue: { values: [{ nullValue: 'NULL_VALUE' }] } } },
      },
    });
    expectSameBytes({
      status: { code: 7, message: 'policy_denied (url_not_allowed)' },
      denied_response: {
        status: { code: 403 },
        headers: [{ header: { key: 'content-type', value: 'application/json' }, append_action: 'OVERWRITE_IF_EXISTS_OR_ADD' }],
        body: '{"error":"policy_denied"}',
      },
    });
  });

  it('random CheckResponses (fast-check), including bodies past one varint byte of length', () => {
    fc.assert(fc.property(response, expectSameBytes), { numRuns: 500 });
    expectSameBytes({ status: { code: 7 }, denied_response: { status: { code: 403 }, headers: [], body: 'x'.repeat(70_000) } });
  });
});
