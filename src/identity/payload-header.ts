import { UnsecuredJWT, base64url } from 'jose';
import type { JwtConfig } from './config.js';
import { claimCheckOptions, fail, mapJoseError, type VerifyResult } from './jwt-verifier.js';

const BASE64URL = /^[A-Za-z0-9_-]+={0,2}$/;
/** A protected header that says "no signature": used only to run jose's claim checks on an upstream-verified payload. */
const CLAIMS_ONLY_HEADER = base64url.encode(JSON.stringify({ alg: 'none' }));

export interface PayloadHeaderReader {
  /** Read one header value (Envoy joins repeated headers with ","). Never throws. */
  read(value: string): VerifyResult;
}

/**
 * The payload of a JWT that the mesh already verified: Istio RequestAuthentication `outputPayloadToHeader` (Envoy
 * jwt_authn `forward_payload_header`) sends the base64url JSON payload, padded or not. There is no signature to
 * check here, so it is trusted only from the configured header, and only as far as the mesh guarantees that a
 * client cannot set that header itself. The same claim checks as for bearer tokens still apply (issuer and
 * audience allowlists when configured, required claims, exp/nbf with clock skew).
 */
export function createPayloadHeaderReader(cfg: JwtConfig, opts: { now?: () => number } = {}): PayloadHeaderReader {
  const base = claimCheckOptions(cfg);
  return {
    read(value) {
      if (value.includes(',')) return fail('token_duplicate', `more than one ${cfg.payload_header ?? 'payload'} header`);
      if (value.length > cfg.max_token_bytes) return fail('token_too_large', `the payload header is larger than ${cfg.max_token_bytes} bytes`);
      const encoded = value.trim();
      if (!BASE64URL.test(encoded)) return fail('token_malformed', 'the payload header is not base64url');
      try {
        const { payload } = UnsecuredJWT.decode(`${CLAIMS_ONLY_HEADER}.${encoded.replace(/=+$/, '')}.`, {
          ...base,
          ...(opts.now ? { currentDate: new Date(opts.now()) } : {}),
        });
        return { ok: true, payload, header: {} };
      } catch (err) {
        return mapJoseError(err);
      }
    },
  };
}
