import type { Logger } from 'pino';
import {
  decodeProtectedHeader,
  errors,
  jwtVerify,
  type JWTPayload,
  type JWTVerifyGetKey,
  type JWTVerifyOptions,
  type JWTClaimVerificationOptions,
  type KeyObject,
  type CryptoKey,
} from 'jose';
import { HS_ALGORITHMS, type JwtConfig } from './config.js';
import { JwksUnavailableError, localKeySource, remoteKeySource, type KeySource } from './jwks.js';

/**
 * Stable identity error codes (`input.identity.error.code`), documented in docs/identity.md (pinned both ways by
 * test/docs/error-codes.test.ts). Never rename one: policies and dashboards use them.
 */
export const IDENTITY_ERROR_CODES = [
  'token_missing',
  'token_malformed',
  'token_too_large',
  'token_duplicate',
  'token_expired',
  'token_not_yet_valid',
  'issuer_not_allowed',
  'audience_not_allowed',
  'algorithm_not_allowed',
  'signature_invalid',
  'kid_unknown',
  'claims_invalid',
  'jwks_unavailable',
  'internal_error',
] as const;
export type IdentityErrorCode = (typeof IDENTITY_ERROR_CODES)[number];

export type VerifyResult =
  | { ok: true; payload: JWTPayload; header: Record<string, unknown> }
  | { ok: false; code: IdentityErrorCode; message: string };

export interface JwtVerifier {
  /** Verify a compact JWS. Never throws: a bad token is a result with a stable code. */
  verify(token: string): Promise<VerifyResult>;
  /** Release the key source; later verifications answer jwks_unavailable. */
  close(): void;
}

/** Three base64url segments; an empty signature is let through here so that `alg: none` gets its own code. */
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;
/** Keys tried for a token without `kid` when several keys in the set fit its algorithm. */
const MAX_CANDIDATE_KEYS = 8;

export const fail = (code: IdentityErrorCode, message: string): { ok: false; code: IdentityErrorCode; message: string } => ({
  ok: false,
  code,
  message,
});

/**
 * Build a verifier from the `identity.jwt` configuration. Key material is loaded here, once: a JWKS file is
 * read now (problems throw AuthzError at startup); a remote JWKS is fetched on first use (see jwks.ts).
 *
 * Checks, in order: size (before any parsing), compact form, protected header, algorithm (never `none`; HS*
 * only with `hs_secret`, and then only with that secret: an HS256 token "signed" with an RSA public key is
 * refused because the JWKS is never used as an HMAC key), then signature, issuer and audience allowlists,
 * required claims, exp/nbf with `clock_skew_seconds`. jose does the cryptography and the claim checks.
 */
/** Where identity reports what an operator must see (a JWKS that cannot be fetched); pino's logger fits. */
export type IdentityLogger = Pick<Logger, 'warn' | 'info'>;

export function createJwtVerifier(cfg: JwtConfig, opts: { now?: () => number; keySource?: KeySource; logger?: IdentityLogger } = {}): JwtVerifier {
  const keys = opts.keySource ?? keySourceFor(cfg, opts.logger);
  const secret = cfg.hs_secret ? new TextEncoder().encode(cfg.hs_secret) : undefined;
  // An algorithm is usable only if there is a key of its kind.
  const allowed = new Set(cfg.algorithms.filter((a) => (HS_ALGORITHMS.includes(a) ? secret !== undefined : keys !== undefined)));

  const getKey: JWTVerifyGetKey = (header, token) => {
    if (HS_ALGORITHMS.includes(header.alg ?? '')) {
      if (!secret) throw new errors.JOSEAlgNotAllowed('HS* needs an explicit secret');
      return secret;
    }
    if (!keys) throw new errors.JOSEAlgNotAllowed('no key set for public-key algorithms');
    return keys.getKey(header, token);
  };
  const baseOptions: JWTVerifyOptions = { ...claimCheckOptions(cfg), algorithms: [...allowed] };

  let closed = false;
  return {
    async verify(token) {
      if (closed) return fail('jwks_unavailable', 'the verifier is closed');
      if (typeof token !== 'string' || token === '') return fail('token_missing', 'no token');
      if (token.length > cfg.max_token_bytes || Buffer.byteLength(token) > cfg.max_token_bytes) {
        return fail('token_too_large', `the token is larger than ${cfg.max_token_bytes} bytes`);
      }
      if (!COMPACT_JWS.test(token)) return fail('token_malformed', 'the token is not a compact JWS (three base64url segments)');
      let header: Record<string, unknown>;
      try {
        header = decodeProtectedHeader(token) as Record<string, unknown>;
      } catch {
        return fail('token_malformed', 'the token header is not base64url-encoded JSON');
      }
      const alg = header.alg;
      if (typeof alg !== 'string' || !allowed.has(alg))
        return fail('algorithm_not_allowed', `the token algorithm ${describeAlg(alg)} is not allowed`);
      if (token.endsWith('.')) return fail('token_malformed', 'the token has no signature');
      const options = opts.now ? { ...baseOptions, currentDate: new Date(opts.now()) } : baseOptions;
      try {
        const { payload } = await verifyWithCandidates(token, getKey, options);
        return { ok: true, payload, header };
      } catch (err) {
        return mapJoseError(err);
      }
    },
    close() {
      closed = true;
      keys?.close();
    },
  };
}

/** jose claim checks from the configuration: allowlists (an empty list is not checked), required claims, skew. */
export function claimCheckOptions(cfg: JwtConfig): JWTClaimVerificationOptions {
  return {
    clockTolerance: cfg.clock_skew_seconds,
    requiredClaims: cfg.required_claims,
    ...(cfg.issuers.length ? { issuer: cfg.issuers } : {}),
    ...(acceptedAudiences(cfg).length ? { audience: acceptedAudiences(cfg) } : {}),
  };
}

/** The `aud` values a token may carry: the configured audiences and the protected resource (RFC 8707). */
function acceptedAudiences(cfg: JwtConfig): string[] {
  return cfg.resource && !cfg.audiences.includes(cfg.resource) ? [...cfg.audiences, cfg.resource] : cfg.audiences;
}

function keySourceFor(cfg: JwtConfig, logger?: IdentityLogger): KeySource | undefined {
  if (cfg.jwks_file) return localKeySource(cfg.jwks_file);
  if (cfg.jwks_uri) {
    return remoteKeySource({
      url: cfg.jwks_uri,
      ...(logger ? { logger } : {}),
      refreshMs: cfg.jwks_refresh_seconds * 1000,
      timeoutMs: cfg.jwks_timeout_ms,
      minIntervalMs: cfg.jwks_unknown_kid_min_interval_seconds * 1000,
    });
  }
  return undefined;
}

/** jose leaves "no kid, several keys fit" to the caller: try each candidate (a bounded number). */
async function verifyWithCandidates(token: string, getKey: JWTVerifyGetKey, options: JWTVerifyOptions) {
  try {
    return await jwtVerify(token, getKey, options);
  } catch (err) {
    if (!(err instanceof errors.JWKSMultipleMatchingKeys)) throw err;
    let tried = 0;
    for await (const key of err as unknown as AsyncIterable<CryptoKey | KeyObject>) {
      if (++tried > MAX_CANDIDATE_KEYS) break;
      try {
        return await jwtVerify(token, key, options);
      } catch (inner) {
        if (!(inner instanceof errors.JWSSignatureVerificationFailed)) throw inner;
      }
    }
    throw new errors.JWSSignatureVerificationFailed();
  }
}

/** Echo the token's alg only when it looks like one (the message may end up in a log or a challenge). */
const describeAlg = (alg: unknown) => (typeof alg === 'string' && /^[A-Za-z0-9-]{1,16}$/.test(alg) ? JSON.stringify(alg) : '(missing or invalid)');

/** jose errors → stable codes. Messages are ours: nothing from the token is echoed. */
export function mapJoseError(err: unknown): { ok: false; code: IdentityErrorCode; message: string } {
  if (err instanceof errors.JWTExpired) return fail('token_expired', 'the token has expired');
  if (err instanceof errors.JWTClaimValidationFailed) {
    const { claim, reason } = err;
    if (claim === 'iss') return fail('issuer_not_allowed', reason === 'missing' ? 'the token has no issuer' : 'the token issuer is not allowed');
    if (claim === 'aud')
      return fail('audience_not_allowed', reason === 'missing' ? 'the token has no audience' : 'the token audience is not allowed');
    if (claim === 'nbf' && reason === 'check_failed') return fail('token_not_yet_valid', 'the token is not valid yet');
    return fail('claims_invalid', reason === 'missing' ? `the token has no "${claim}" claim` : `the "${claim}" claim is invalid`);
  }
  if (err instanceof errors.JOSEAlgNotAllowed) return fail('algorithm_not_allowed', 'the token algorithm is not allowed');
  if (err instanceof errors.JWSSignatureVerificationFailed) return fail('signature_invalid', 'the token signature is invalid');
  if (err instanceof errors.JWKSNoMatchingKey) return fail('kid_unknown', 'no key in the key set matches the token (unknown kid)');
  if (err instanceof JwksUnavailableError || err instanceof errors.JWKSTimeout || err instanceof errors.JWKSInvalid) {
    return fail('jwks_unavailable', 'the key set is unavailable');
  }
  if (err instanceof errors.JWSInvalid || err instanceof errors.JWTInvalid || err instanceof errors.JOSENotSupported) {
    return fail('token_malformed', 'the token is malformed or uses an unsupported feature');
  }
  // Anything else (e.g. a key jose refuses to use, such as RSA under 2048 bits): never an allow.
  return fail('internal_error', 'the token could not be verified');
}
