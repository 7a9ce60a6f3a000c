import { randomUUID } from 'node:crypto';
import type { StatusCode } from '../../generated/proto/envoy/type/v3/StatusCode.js';
import { REASON, type ReasonCode } from '../../shared/errors.js';
import { failureDecision } from '../failure.js';
import { parseFormBody } from '../opa-envoy-body.js';
import type { BodyView } from '../../mcp/parse-body.js';
import type { CompatProfile, Refusal } from '../profile.js';
import type { RequestView } from '../request.js';
import { type CheckResponseWire, GRPC_OK, GRPC_PERMISSION_DENIED, type ResponseOptions, toCheckResponse, toStruct, wireHeader } from '../response.js';
import type { Decision } from '../types.js';

/**
 * `compat: opa-envoy` (docs/opa-envoy-compat.md): answers as OPA's Envoy plugin does. parsed_body as the plugin
 * builds it; a body it cannot parse answered 400 by the server, whatever `body.malformed` says; the policy's answers
 * as the plugin's CheckResponse (server-side failures keep mcp-authz's); a `decision_id` in the dynamic metadata of
 * every answer but a parse error. The plugin's policies ask for no approvals: the approval header is not managed.
 */
export const opaEnvoyProfile: CompatProfile = {
  input: opaEnvoyInput,
  refuse: parseFailure,
  respond(decision, opts) {
    // Server-side failures keep mcp-authz's answer (the plugin answers those with a gRPC error, which fails open or
    // closed depending on the gateway's failure_mode_allow): a denial with its code.
    return POLICY_ANSWERS.has(decision.reasonCode) ? opaEnvoyResponse(decision, opts) : toCheckResponse(decision, opts);
  },
  withDecisionId,
  managesApprovalHeader: false,
};

const POLICY_ANSWERS: ReadonlySet<string> = new Set(['allowed', 'policy_denied', 'approval_required']);

/**
 * `parsed_body` as the plugin builds it. Form bodies (urlencoded, multipart) are parsed into `{name: [values]}`;
 * anything unparsed is `null`, never absent; a form body it cannot parse is recorded for `refuse`, which answers
 * 400 as the plugin does. The raw body always stays in the input, as in the plugin.
 */
function opaEnvoyInput(view: RequestView, body: BodyView): RequestView {
  const input = view.input;
  // The plugin parses JSON only for a content type containing application/json (not application/*+json).
  if (!(view.headers['content-type'] ?? '').toLowerCase().includes('application/json')) delete input.parsed_body;
  if (input.parsed_body === undefined && body.text !== undefined && !body.truncated) {
    const form = parseFormBody(view.headers['content-type'] ?? '', body.text);
    if (form && 'error' in form) view.profileParseError = form.error;
    else if (form) input.parsed_body = form.value;
  }
  input.parsed_body ??= null;
  return view;
}

/** Body problems of a JSON body (content-type application/json) that the plugin's JSON parse fails on, or that mcp-authz refuses to parse. */
const JSON_PARSE_ERRORS: ReadonlySet<string> = new Set<ReasonCode>([
  REASON.bodyInvalidJson,
  REASON.bodyInvalidUtf8,
  REASON.bodyTooDeep,
  REASON.bodyDuplicateKey,
  REASON.bodyTooLarge,
]);

const parseFailures = new WeakSet<CheckResponseWire>();

/** The plugin's own 400 for a body it cannot parse, or undefined when the policy decides (whatever `body.malformed` says). */
function parseFailure(view: RequestView): Refusal | undefined {
  const error = view.input.mcp?.error;
  const json = (view.headers['content-type'] ?? '').toLowerCase().includes('application/json');
  let code: ReasonCode;
  let message: string;
  if (view.profileParseError !== undefined) {
    code = REASON.bodyInvalidForm;
    message = view.profileParseError;
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
function withDecisionId(response: CheckResponseWire): { response: CheckResponseWire; decisionId: string } | undefined {
  if (parseFailures.has(response)) return undefined;
  const decisionId = randomUUID();
  const fields = { ...(response.dynamic_metadata?.fields ?? {}), decision_id: { stringValue: decisionId } };
  return { response: { ...response, dynamic_metadata: { fields } }, decisionId };
}

/**
 * The CheckResponse OPA's Envoy plugin builds (internal/internal.go, check). A bare boolean gets only the status; an
 * object decision its fields as given: a denial without `body` has an empty body and no added content-type, no
 * status message, no header removals but the decision's (and `headers.managed`). Each header still carries an
 * explicit append_action.
 */
function opaEnvoyResponse(decision: Decision, opts: ResponseOptions): CheckResponseWire {
  const metadata = decision.dynamicMetadata ? { dynamic_metadata: toStruct(decision.dynamicMetadata) } : {};
  const allowed = decision.allowed && decision.kind === 'allow';
  const status = { code: allowed ? GRPC_OK : GRPC_PERMISSION_DENIED };
  if (decision.bare) return { status, ...metadata };
  if (allowed) {
    const setNames = new Set(decision.headers.map((h) => h.key.toLowerCase()));
    const removals = [...new Set([...decision.requestHeadersToRemove, ...opts.managedHeaders.filter((h) => !setNames.has(h.toLowerCase()))])];
    return {
      status,
      ok_response: {
        headers: decision.headers.map(wireHeader),
        headers_to_remove: removals,
        response_headers_to_add: decision.responseHeadersToAdd.map(wireHeader),
        query_parameters_to_set: decision.queryParametersToSet,
        query_parameters_to_remove: decision.queryParametersToRemove,
      },
      ...metadata,
    };
  }
  return {
    status,
    denied_response: { status: { code: decision.httpStatus as StatusCode }, headers: decision.headers.map(wireHeader), body: decision.body ?? '' },
    ...metadata,
  };
}
