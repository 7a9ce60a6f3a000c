import type { IdentityConfig } from './config.js';
import type { Identity } from './resolve.js';

/** RFC 6750 §3.1 error codes. */
export type BearerError = 'invalid_request' | 'invalid_token' | 'insufficient_scope';

export interface ChallengeOptions {
  realm?: string;
  /** RFC 9728 protected resource metadata URL (`resource_metadata`); MCP clients discover the authorization server from it. */
  resourceMetadata?: string;
}

export interface ChallengeParams extends ChallengeOptions {
  error?: BearerError;
  errorDescription?: string;
  /** Scope tokens (an array, or one space-separated string). */
  scope?: readonly string[] | string;
}

/** A denial the identity calls for: the HTTP status and, when one applies, the `WWW-Authenticate` value. */
export interface Challenge {
  status: number;
  wwwAuthenticate?: string;
}

const MAX_DESCRIPTION = 256;
const MAX_REALM = 256;
/** RFC 6750 scope-token: %x21 / %x23-5B / %x5D-7E (no space, `"` or `\`). */
const SCOPE_TOKEN = /^[\x21\x23-\x5b\x5d-\x7e]+$/;

/** An RFC 9110 quoted-string: `\` and `"` escaped. The value must already be printable ASCII. */
const quote = (s: string) => `"${s.replace(/[\\"]/g, '\\$&')}"`;
/** Printable ASCII only (header values must not carry control characters; non-ASCII is not portable). */
const printable = (s: string, max: number) => s.replace(/[^\x20-\x7e]/g, '').slice(0, max).trim();

/**
 * `error_description`: RFC 6750 allows only %x20-21 / %x23-5B / %x5D-7E, so `"` becomes `'` and `\` becomes
 * `/` (rather than being escaped), other characters outside printable ASCII are removed, and it is cut to 256.
 */
export function describeForChallenge(text: string): string {
  return printable(text.replace(/"/g, "'").replace(/\\/g, '/'), MAX_DESCRIPTION);
}

/** Valid, distinct scope tokens; invalid ones are left out (they could not be written into the header). */
export function scopeTokens(scope: readonly string[] | string): string[] {
  const list = typeof scope === 'string' ? scope.split(/\s+/) : scope.flatMap((s) => (typeof s === 'string' ? s.split(/\s+/) : []));
  return [...new Set(list.filter((t) => SCOPE_TOKEN.test(t)))];
}

/** An absolute http(s) URL, serialised by WHATWG URL (so `"` and spaces are percent-encoded), or undefined. */
function metadataUrl(u: string): string | undefined {
  try {
    const url = new URL(u);
    return url.protocol === 'https:' || url.protocol === 'http:' ? url.href : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A `WWW-Authenticate` value for the Bearer scheme (RFC 6750 §3, RFC 9728 §5.1, MCP authorization):
 * `Bearer realm="…", error="…", error_description="…", scope="…", resource_metadata="…"`, each parameter only
 * when given and valid. Every value is a quoted-string with `\` and `"` escaped, and holds printable ASCII only.
 */
export function bearerChallenge(p: ChallengeParams): string {
  const params: string[] = [];
  const realm = p.realm === undefined ? '' : printable(p.realm, MAX_REALM);
  if (realm) params.push(`realm=${quote(realm)}`);
  if (p.error) params.push(`error=${quote(p.error)}`);
  const description = p.errorDescription === undefined ? '' : describeForChallenge(p.errorDescription);
  if (description) params.push(`error_description=${quote(description)}`);
  const scopes = p.scope === undefined ? [] : scopeTokens(p.scope);
  if (scopes.length) params.push(`scope=${quote(scopes.join(' '))}`);
  const metadata = p.resourceMetadata === undefined ? undefined : metadataUrl(p.resourceMetadata);
  if (metadata) params.push(`resource_metadata=${quote(metadata)}`);
  return params.length ? `Bearer ${params.join(', ')}` : 'Bearer';
}

/** 401 for a token that is present but not acceptable (expired, bad signature, wrong audience, …). */
export function invalidTokenChallenge(description: string, opts: ChallengeOptions & { scope?: readonly string[] | string } = {}): string {
  return bearerChallenge({ ...opts, error: 'invalid_token', errorDescription: description });
}

/** 403 for a verified token without the scopes an operation needs (MCP "Runtime Insufficient Scope Errors"). */
export function insufficientScopeChallenge(scope: readonly string[] | string, opts: ChallengeOptions & { description?: string } = {}): string {
  const { description, ...rest } = opts;
  return bearerChallenge({ ...rest, error: 'insufficient_scope', scope, ...(description !== undefined ? { errorDescription: description } : {}) });
}

/** The realm and resource metadata URL of the `identity` configuration. */
export function challengeOptions(config: Pick<IdentityConfig, 'realm' | 'resource_metadata_url'>): ChallengeOptions {
  return { ...(config.realm ? { realm: config.realm } : {}), ...(config.resource_metadata_url ? { resourceMetadata: config.resource_metadata_url } : {}) };
}

/**
 * What to answer when an operation needs a user and `identity` has none (undefined when it has one):
 * - no token (or JWT verification off): 401 with a bare challenge, no `error` (RFC 6750 §3.1: the client has not
 *   tried yet), plus `scope` when given and `resource_metadata`;
 * - two authorization headers: 400 `invalid_request` (RFC 6750: more than one method/credential);
 * - the key set is unavailable: 503 without a challenge (the token may be fine; the client should retry, not
 *   re-authenticate); internal errors: 500;
 * - any other token error: 401 `invalid_token` with the error message as `error_description`.
 * With `scope`, a verified identity gets 403 `insufficient_scope` with those scopes.
 */
export function challengeFor(identity: Identity, opts: ChallengeOptions & { scope?: readonly string[] | string } = {}): Challenge | undefined {
  if (identity.verified === true) {
    return opts.scope === undefined ? undefined : { status: 403, wwwAuthenticate: insufficientScopeChallenge(opts.scope, opts) };
  }
  const error = identity.error;
  if (!error || error.code === 'token_missing') return { status: 401, wwwAuthenticate: bearerChallenge(opts) };
  switch (error.code) {
    case 'token_duplicate':
      return { status: 400, wwwAuthenticate: bearerChallenge({ ...opts, error: 'invalid_request', errorDescription: error.message }) };
    case 'jwks_unavailable':
      return { status: 503 };
    case 'internal_error':
      return { status: 500 };
    default:
      return { status: 401, wwwAuthenticate: invalidTokenChallenge(error.message, opts) };
  }
}
