import type { JsonRpcId } from './per-request.js';

/**
 * A request's fingerprint: what a transport that holds the CheckRequest's bytes can tell the decision cache before
 * the request is read (docs/decision-cache.md "Hits from the request's bytes"). Two requests with equal keys are
 * the same request to the policy: the key is the request's bytes with only fields the cache key leaves out removed
 * (FingerprintSpec), so equal keys imply equal cache keys (never the other way round: two spellings of one JSON
 * message have different fingerprints and share the cache entry only through the full key).
 */
export interface RequestFingerprint {
  /** The request's bytes minus the removed fields, in an unambiguous encoding (a latin1 string). */
  key: string;
  /**
   * The removed headers this request carried (names lower-case; repeated `header_map` entries joined with `,` as
   * the input joins them): the request's own x-request-id and trace context, for its decision log line.
   */
  headers: Record<string, string>;
  /**
   * The JSON-RPC id, when its value was taken out of the key: the body is one JSON object whose literal `"id"`
   * member holds a plain integer (at most 15 digits, not `-0`) or a string of printable ASCII without escapes
   * (at most 128 bytes), and the key keeps the value's length. Absent: the whole body is in the key.
   */
  id?: JsonRpcId;
}

/**
 * Which fields a fingerprint leaves out: the volatile fields of the cache key that the transport can find in the
 * bytes (header entries by name; three attribute paths). A volatile path the transport cannot map stays in the
 * fingerprint, which then only hits less often.
 */
export interface FingerprintSpec {
  /** Header names, lower-case: `headers` map entries and `header_map` entries whose name lower-cases to one. */
  volatileHeaders: ReadonlySet<string>;
  /** `attributes.request.time` */
  requestTime: boolean;
  /** `attributes.request.http.id` */
  httpId: boolean;
  /** `attributes.source.address.socketAddress.portValue` */
  sourcePort: boolean;
}

/** Set by the transport on the request it read after a fingerprint did not hit, so the check can store one. */
export const FINGERPRINT: unique symbol = Symbol('mcp-authz.fingerprint');
