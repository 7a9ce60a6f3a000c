/**
 * Stable reason codes. Every decision carries exactly one; it is the `reason_code` metric label,
 * the `code` field of denial bodies for server-side denials, and is listed in docs/decisions-and-errors.md.
 * Never rename a code: dashboards and alerts depend on them.
 */
export const REASON = {
  /** The policy allowed the request. */
  allowed: 'allowed',
  /** The policy denied the request (see `rule` and `message`). */
  policyDenied: 'policy_denied',
  /** The policy asked for human approval. */
  approvalRequired: 'approval_required',
  /** require_approval turned into an allow by an approved grant (src/approvals). */
  approvalGranted: 'approval_granted',
  /** require_approval answered with a denial: an approver rejected this call. */
  approvalRejected: 'approval_rejected',

  // Body problems: answered by the server before evaluation when `body.malformed` is `deny`.
  bodyInvalidJson: 'body_invalid_json',
  /** `compat: opa-envoy`: a form body (urlencoded, multipart) that cannot be parsed. */
  bodyInvalidForm: 'body_invalid_form',
  bodyInvalidUtf8: 'body_invalid_utf8',
  bodyTooDeep: 'body_too_deep',
  bodyTooLarge: 'body_too_large',
  bodyDuplicateKey: 'body_duplicate_key',
  bodyNumberUnrepresentable: 'body_number_unrepresentable',
  bodyInvalidUnicode: 'body_invalid_unicode',
  bodyKeyCaseVariant: 'body_key_case_variant',
  bodyTruncated: 'body_truncated',
  contentTypeUnsupported: 'content_type_unsupported',
  // Refused in every mode, before the policy: forms upstream decoders read differently (docs/input.md).
  /** The content-type header is not a media type (RFC 7231), or repeats a parameter. */
  contentTypeInvalid: 'content_type_invalid',
  /** A JSON-looking type other than application/json (application/*+json, text/json). */
  contentTypeAmbiguous: 'content_type_ambiguous',
  /** application/json with a charset other than UTF-8 (utf-7, utf-16, latin1, …). */
  contentTypeCharsetUnsupported: 'content_type_charset_unsupported',
  /** The body starts with a byte order mark: some decoders strip it, others reject the body. */
  bodyByteOrderMark: 'body_byte_order_mark',
  /** A protocol upgrade (Upgrade, Connection: upgrade, WebSocket, extended CONNECT): later messages would go unchecked. */
  requestUpgradeUnsupported: 'request_upgrade_unsupported',
  jsonrpcInvalidRequest: 'jsonrpc_invalid_request',
  jsonrpcInvalidVersion: 'jsonrpc_invalid_version',
  jsonrpcMissingMethod: 'jsonrpc_missing_method',
  jsonrpcInvalidId: 'jsonrpc_invalid_id',
  jsonrpcEmptyBatch: 'jsonrpc_empty_batch',
  jsonrpcBatchTooLarge: 'jsonrpc_batch_too_large',
  jsonrpcInvalidParams: 'jsonrpc_invalid_params',
  jsonrpcBatchNotAllowed: 'jsonrpc_batch_not_allowed',
  /** MCP 2026-07-28 (SEP-2243): Mcp-Method / Mcp-Name / Mcp-Param-* / MCP-Protocol-Version disagree with the body. */
  headerMismatch: 'header_mismatch',

  // Server-side failures: always a deny, never an allow.
  policyNotLoaded: 'policy_not_loaded',
  policyEvalError: 'policy_eval_error',
  decisionUndefined: 'decision_undefined',
  decisionInvalid: 'decision_invalid',
  /** The decision's headers, body or metadata exceed the `decision.max_*` bounds. */
  decisionTooLarge: 'decision_too_large',
  /** The evaluation ran past `policy.eval_timeout_ms`; it was stopped. */
  policyTimeout: 'policy_timeout',
  requestInvalid: 'request_invalid',
  internalError: 'internal_error',
} as const;

export type ReasonCode = (typeof REASON)[keyof typeof REASON];

/** Body and JSON-RPC problems that make a request malformed (HTTP status for the denial). */
export const MALFORMED_STATUS: Partial<Record<ReasonCode, number>> = {
  body_invalid_json: 400,
  body_invalid_form: 400,
  body_invalid_utf8: 400,
  body_too_deep: 400,
  body_duplicate_key: 400,
  body_number_unrepresentable: 400,
  body_invalid_unicode: 400,
  body_key_case_variant: 400,
  body_too_large: 413,
  body_truncated: 413,
  content_type_unsupported: 415,
  content_type_invalid: 400,
  content_type_ambiguous: 415,
  content_type_charset_unsupported: 415,
  body_byte_order_mark: 400,
  request_upgrade_unsupported: 400,
  jsonrpc_invalid_request: 400,
  jsonrpc_invalid_version: 400,
  jsonrpc_missing_method: 400,
  jsonrpc_invalid_id: 400,
  jsonrpc_empty_batch: 400,
  jsonrpc_batch_too_large: 400,
  jsonrpc_invalid_params: 400,
  jsonrpc_batch_not_allowed: 400,
  header_mismatch: 400,
};

/**
 * Codes the server refuses with in every mode, before the policy, whatever `body.malformed` and `compat` say: the
 * request is in a form upstream decoders read differently from the server (or it leaves HTTP altogether), so no
 * policy can be told what it means. Each is also in MALFORMED_STATUS.
 */
export const REFUSED_ALWAYS: ReadonlySet<string> = new Set<ReasonCode>([
  REASON.contentTypeInvalid,
  REASON.contentTypeAmbiguous,
  REASON.contentTypeCharsetUnsupported,
  REASON.bodyByteOrderMark,
  REASON.requestUpgradeUnsupported,
]);

/** HTTP status of server-side failure denials. */
export const FAILURE_STATUS: Partial<Record<ReasonCode, number>> = {
  policy_not_loaded: 503,
  policy_eval_error: 500,
  decision_undefined: 500,
  decision_invalid: 500,
  decision_too_large: 500,
  policy_timeout: 500,
  request_invalid: 400,
  internal_error: 500,
};

/**
 * The class of each reason code, the one place it is decided: `allow` (the request goes ahead), `deny` (the policy
 * said no), `approval` (the policy asks a human), `malformed` (the request is not understood: MALFORMED_STATUS),
 * `refused` (malformed, and refused in every mode: REFUSED_ALWAYS) and `failure` (the server could not decide:
 * FAILURE_STATUS; still a deny). Metrics and logs label failures `error`, and `mcp-authz check` exits 3 for them.
 * Every class but `allow` is answered with gRPC OK and a PERMISSION_DENIED CheckResponse.
 */
export type ReasonClass = 'allow' | 'deny' | 'approval' | 'malformed' | 'refused' | 'failure';

export function reasonClass(code: ReasonCode): ReasonClass {
  if (code === REASON.allowed || code === REASON.approvalGranted) return 'allow';
  if (code === REASON.approvalRequired) return 'approval';
  if (REFUSED_ALWAYS.has(code)) return 'refused';
  if (code in MALFORMED_STATUS) return 'malformed';
  if (code in FAILURE_STATUS) return 'failure';
  return 'deny';
}

/**
 * Startup and command error codes, the `code` of an AuthzError thrown at startup (config, policy loading, listening,
 * workers), on a reload and in the CLI: the one place each is spelled, each entry named as its code. `serve` prints
 * `cannot start [code]` and exits 2, `check` exits 3. Listed in docs/decisions-and-errors.md (startup and command
 * errors), pinned both ways by test/docs/error-codes.test.ts. Never rename a code.
 */
export const STARTUP_ERROR = {
  address_in_use: 'address_in_use',
  address_not_available: 'address_not_available',
  address_permission_denied: 'address_permission_denied',
  listen_failed: 'listen_failed',
  config_invalid: 'config_invalid',
  policy_missing: 'policy_missing',
  bundle_unreadable: 'bundle_unreadable',
  bundle_invalid: 'bundle_invalid',
  bundle_download_failed: 'bundle_download_failed',
  policy_invalid: 'policy_invalid',
  policy_compile_failed: 'policy_compile_failed',
  opa_not_found: 'opa_not_found',
  entrypoint_not_found: 'entrypoint_not_found',
  policy_unsupported_builtin: 'policy_unsupported_builtin',
  data_unreadable: 'data_unreadable',
  data_invalid: 'data_invalid',
  data_conflict: 'data_conflict',
  jwks_invalid: 'jwks_invalid',
  worker_start_failed: 'worker_start_failed',
  approvals_store_unavailable: 'approvals_store_unavailable',
  worker_prepare_failed: 'worker_prepare_failed',
  cases_invalid: 'cases_invalid',
} as const;

export type StartupErrorCode = (typeof STARTUP_ERROR)[keyof typeof STARTUP_ERROR];

/** An error with a stable code, used at startup (config, policy loading) and in the CLI. */
export class AuthzError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly details: string[] = [],
  ) {
    super(details.length ? `${message}\n  - ${details.join('\n  - ')}` : message);
    this.name = 'AuthzError';
  }
}
