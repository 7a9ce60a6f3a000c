import { readFileSync } from 'node:fs';
import { createLocalJWKSet, createRemoteJWKSet, decodeProtectedHeader, errors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import type { IdentityConfig } from './config.js';

export type JwtErrorCode =
  | 'token_missing'
  | 'token_malformed'
  | 'token_too_large'
  | 'token_expired'
  | 'token_not_yet_valid'
  | 'issuer_not_allowed'
  | 'audience_not_allowed'
  | 'algorithm_not_allowed'
  | 'signature_invalid'
  | 'kid_unknown'
  | 'jwks_unavailable'
  | 'token_duplicate'
  | 'claims_invalid';

export type VerifyResult = { ok: true; payload: JWTPayload; header: Record<string, unknown> } | { ok: false; code: JwtErrorCode; message: string };

export interface JwtVerifier {
  verify(token: string): Promise<VerifyResult>;
}

const COMPACT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

/**
 * Verify compact JWS tokens with jose: signature (JWKS file or URI, or an explicit HS* secret), allowed
 * algorithms (never `none`; HS* only with a configured secret, so an HS256 token "signed" with an RSA public key
 * fails), issuer and audience allowlists, exp/nbf with clock skew, and a size cap checked before any parsing.
 * A bad token is a result with a stable code, never an exception. Key material is loaded here, once.
 */
export function createJwtVerifier(cfg: IdentityConfig['jwt'], opts: { now?: () => number } = {}): JwtVerifier {
  let jwks: JWTVerifyGetKey | undefined;
  if (cfg.jwks_file) jwks = createLocalJWKSet(JSON.parse(readFileSync(cfg.jwks_file, 'utf8')));
  else if (cfg.jwks_uri) {
    jwks = createRemoteJWKSet(new URL(cfg.jwks_uri), {
      cacheMaxAge: cfg.jwks_refresh_seconds * 1000,
      cooldownDuration: cfg.jwks_unknown_kid_min_interval_seconds * 1000,
      timeoutDuration: cfg.jwks_timeout_ms,
    });
  }
  const secret = cfg.hs_secret ? new TextEncoder().encode(cfg.hs_secret) : undefined;
  const allowed = new Set(cfg.algorithms);

  const key: JWTVerifyGetKey = async (header, token) => {
    if (header.alg?.startsWith('HS')) {
      if (!secret) throw new errors.JOSEAlgNotAllowed('HS* algorithms need an explicit secret');
      return secret;
    }
    if (!jwks) throw new errors.JWKSNoMatchingKey();
    return jwks(header, token);
  };

  return {
    async verify(token) {
      if (Buffer.byteLength(token) > cfg.max_token_bytes) return fail('token_too_large', `token larger than ${cfg.max_token_bytes} bytes`);
      if (!COMPACT.test(token)) return fail('token_malformed', 'not a compact JWS (three base64url segments)');
      let header: Record<string, unknown>;
      try {
        header = decodeProtectedHeader(token) as Record<string, unknown>;
      } catch {
        return fail('token_malformed', 'the token header is not valid base64url JSON');
      }
      if (typeof header.alg !== 'string' || !allowed.has(header.alg)) return fail('algorithm_not_allowed', `algorithm ${String(header.alg)} is not allowed`);
      try {
        const { payload } = await jwtVerify(token, key, {
          algorithms: [...allowed],
          clockTolerance: cfg.clock_skew_seconds,
          ...(cfg.issuers.length ? { issuer: cfg.issuers } : {}),
          ...(cfg.audiences.length ? { audience: cfg.audiences } : {}),
          ...(opts.now ? { currentDate: new Date(opts.now()) } : {}),
        });
        return { ok: true, payload, header };
      } catch (err) {
        return mapError(err);
      }
    },
  };
}

const fail = (code: JwtErrorCode, message: string): VerifyResult => ({ ok: false, code, message });

function mapError(err: unknown): VerifyResult {
  if (err instanceof errors.JWTExpired) return fail('token_expired', 'the token has expired');
  if (err instanceof errors.JWTClaimValidationFailed) {
    if (err.claim === 'nbf' || err.claim === 'iat') return fail('token_not_yet_valid', 'the token is not valid yet');
    if (err.claim === 'iss') return fail('issuer_not_allowed', 'the token issuer is not allowed');
    if (err.claim === 'aud') return fail('audience_not_allowed', 'the token audience is not allowed');
    return fail('claims_invalid', `claim ${err.claim} is invalid`);
  }
  if (err instanceof errors.JOSEAlgNotAllowed || err instanceof errors.JOSENotSupported) return fail('algorithm_not_allowed', 'the token algorithm is not allowed');
  if (err instanceof errors.JWSSignatureVerificationFailed) return fail('signature_invalid', 'the token signature is invalid');
  if (err instanceof errors.JWKSNoMatchingKey || err instanceof errors.JWKSMultipleMatchingKeys) return fail('kid_unknown', 'no key matches the token (unknown kid)');
  if (err instanceof errors.JWKSTimeout || err instanceof errors.JWKSInvalid) return fail('jwks_unavailable', 'the key set could not be fetched');
  if (err instanceof errors.JWSInvalid || err instanceof errors.JWTInvalid) return fail('token_malformed', 'the token is malformed');
  if (err instanceof TypeError || (err as { name?: string }).name === 'AbortError') return fail('jwks_unavailable', 'the key set could not be fetched');
  return fail('token_malformed', 'the token could not be verified');
}
