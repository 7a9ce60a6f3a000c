/**
 * Input fields the decision cache leaves out of its key because they differ on (almost) every request while
 * (almost) no policy decides on them. Leaving a field out is a promise: a policy that DOES read it gets, on a
 * cache hit, the answer computed for another request whose value differed. Every default below is argued for;
 * the lists are configurable (`cache.volatile_headers`, `cache.volatile_paths`) and an operator whose policy
 * reads one of these fields must remove it from the list.
 *
 * The JSON-RPC ids and the raw body are left out only when the body parsed (BODY_DERIVED_*): the parsed form
 * stands for the bytes, and the pipeline puts the current request's id back into a cached JSON-RPC error.
 *
 * Deliberately NOT volatile by default:
 * - `mcp-session-id`, `authorization`, `cookie`, `baggage`, `x-forwarded-for` and every other header: these
 *   carry identity, tenancy or routing facts policies do decide on;
 * - the source address (only its ephemeral port is dropped).
 */

/**
 * Request headers (lower-case) dropped from the key, wherever the input carries headers
 * (`attributes.request.http.headers` and the raw `attributes.request.http.headerMap.headers` list).
 */
export const DEFAULT_VOLATILE_HEADERS: readonly string[] = Object.freeze([
  // Per-request id Envoy generates (or propagates). Unique per request by design; policies log it, they do not
  // decide on it. A policy that echoes it into a denial body would echo another request's id on a hit.
  'x-request-id',
  // W3C trace context: per-request span ids and vendor sampling state.
  'traceparent',
  'tracestate',
  // Zipkin B3 trace context (multi-header and single-header forms): per-request ids and sampling flags.
  'x-b3-traceid',
  'x-b3-spanid',
  'x-b3-parentspanid',
  'x-b3-sampled',
  'x-b3-flags',
  'b3',
  // Envoy retry counter: the same request retried must get the same answer, which is the point of dropping it.
  'x-envoy-attempt-count',
  // Envoy's computed upstream timeout: a transport detail, not an authorization fact.
  'x-envoy-expected-rq-timeout-ms',
  // Cloud load balancer trace ids (AWS ALB/X-Ray, Google Cloud).
  'x-amzn-trace-id',
  'x-cloud-trace-context',
  // gRPC deadline remaining: differs by milliseconds from call to call.
  'grpc-timeout',
]);

/** Attribute paths (object keys from the input root) dropped from the key. */
export const DEFAULT_VOLATILE_PATHS: readonly (readonly string[])[] = Object.freeze([
  // The time Envoy received the request: unique per request. A policy that compares it against a time window
  // would, on a hit, decide with the time of an earlier request (at most `ttlMs` old). Time-window policies
  // should call time.now_ns(), which marks the policy non-deterministic and bypasses the cache.
  Object.freeze(['attributes', 'request', 'time']),
  // Envoy's per-request stream id.
  Object.freeze(['attributes', 'request', 'http', 'id']),
  // The client's ephemeral source port. The source address itself stays in the key.
  Object.freeze(['attributes', 'source', 'address', 'socketAddress', 'portValue']),
]);

/**
 * Left out of the key when the body parsed as JSON (and is complete and valid JSON-RPC): the raw body and what
 * only restates its bytes, and the JSON-RPC ids. The parsed form (`parsed_body`, `input.mcp`) stays in the key,
 * so two bodies share an entry only when they are the same JSON-RPC message up to their ids. A policy that reads
 * the raw body text sees the text of the request that filled the entry (the same JSON, possibly spelled with other
 * whitespace or escapes); a policy that decides on the id itself (rather than echoing it) must not be cached.
 */
export const BODY_DERIVED_HEADERS: readonly string[] = Object.freeze(['content-length']);

export const BODY_DERIVED_PATHS: readonly (readonly string[])[] = Object.freeze([
  Object.freeze(['attributes', 'request', 'http', 'body']),
  Object.freeze(['attributes', 'request', 'http', 'rawBody']),
  Object.freeze(['attributes', 'request', 'http', 'size']),
  Object.freeze(['parsed_body', 'id']),
  Object.freeze(['parsed_body', '*', 'id']),
  // input.mcp is a pure function of the parsed body and two headers (mcp-session-id, mcp-protocol-version), all in
  // the key: keying it again would only double the key's length.
  Object.freeze(['mcp']),
]);

/**
 * Left out of every key: fields the input builder computes from others that are in the key (parsed_path and
 * parsed_query from attributes.request.http.path, source_principal from attributes.source.principal).
 */
export const DERIVED_PATHS: readonly (readonly string[])[] = Object.freeze([
  Object.freeze(['parsed_path']),
  Object.freeze(['parsed_query']),
  Object.freeze(['source_principal']),
]);
