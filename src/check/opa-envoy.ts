import { randomUUID } from 'node:crypto';
import { REASON, type ReasonCode } from '../shared/errors.js';
import { failureDecision } from './failure.js';
import type { RequestView } from './request.js';
import { type CheckResponseWire, GRPC_PERMISSION_DENIED } from './response.js';
import type { Decision } from './types.js';
import type { StatusCode } from '../generated/proto/envoy/type/v3/StatusCode.js';

/**
 * `compat: opa-envoy` (docs/opa-envoy-compat.md): the two places where OPA's Envoy plugin answers without the
 * policy's fields. A body it cannot parse is answered 400 by the server, and every other answer carries a
 * `decision_id` in its dynamic metadata.
 */

/** Body problems of a JSON body (content-type application/json) that the plugin's JSON parse fails on, or that mcp-authz refuses to parse. */
const JSON_PARSE_ERRORS: ReadonlySet<string> = new Set<ReasonCode>([
  REASON.bodyInvalidJson,
  REASON.bodyInvalidUtf8,
  REASON.bodyTooDeep,
  REASON.bodyDuplicateKey,
  REASON.bodyTooLarge,
]);

const parseFailures = new WeakSet<CheckResponseWire>();

/** The plugin's own 400 for a body it cannot parse, or undefined when the policy decides. */
export function opaEnvoyParseFailure(view: RequestView): { decision: Decision; response: CheckResponseWire } | undefined {
  const error = view.input.mcp?.error;
  const json = (view.headers['content-type'] ?? '').toLowerCase().includes('application/json');
  let code: ReasonCode;
  let message: string;
  if (view.opaEnvoyParseError !== undefined) {
    code = REASON.bodyInvalidForm;
    message = view.opaEnvoyParseError;
  } else if (error && json && JSON_PARSE_ERRORS.has(error.code)) {
    code = error.code as ReasonCode;
    message = error.message;
  } else {
    return undefined;
  }
  const text = `request_parse_error: ${message}`;
  const decision: Decision = { ...failureDecision(code, message), httpStatus: 400, body: text };
  const response: CheckResponseWire = {
    status: { code: GRPC_PERMISSION_DENIED, message: text },
    denied_response: { status: { code: 400 as StatusCode }, headers: [], body: text },
  };
  parseFailures.add(response);
  return { decision, response };
}

/** The response with `decision_id` added to its dynamic metadata (a copy: cached responses are shared and frozen). */
export function withDecisionId(response: CheckResponseWire): { response: CheckResponseWire; decisionId?: string } {
  if (parseFailures.has(response)) return { response };
  const decisionId = randomUUID();
  const fields = { ...(response.dynamic_metadata?.fields ?? {}), decision_id: { stringValue: decisionId } };
  return { response: { ...response, dynamic_metadata: { fields } }, decisionId };
}
