import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bearerChallenge, challengeFor, challengeOptions, insufficientScopeChallenge, invalidTokenChallenge } from '../../../src/identity/challenge.js';
import type { IdentityErrorCode } from '../../../src/identity/jwt-verifier.js';
import type { Identity } from '../../../src/identity/resolve.js';
import { config } from './helpers.js';

const RM = 'https://mcp.example.com/.well-known/oauth-protected-resource';

/** Parse `Bearer k="v", k2=token` per RFC 9110 (auth-param, quoted-string with \-escapes). Throws on bad syntax. */
function parseChallenge(value: string): Record<string, string> {
  const m = /^Bearer(?: (.*))?$/.exec(value);
  if (!m) throw new Error(`not a Bearer challenge: ${value}`);
  const out: Record<string, string> = {};
  let rest = m[1] ?? '';
  while (rest !== '') {
    const p = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+)="((?:[^"\\]|\\.)*)"(?:, |$)/.exec(rest);
    if (!p) throw new Error(`bad auth-param at: ${rest}`);
    if (p[1]! in out) throw new Error(`duplicate parameter ${p[1]}`);
    out[p[1]!] = p[2]!.replace(/\\(.)/g, '$1');
    rest = rest.slice(p[0].length);
  }
  return out;
}

const unverified = (code: IdentityErrorCode, message = 'the token has expired'): Identity => ({
  verified: false,
  error: { code, message },
  roles: [],
  scopes: [],
});
const verifiedId: Identity = { verified: true, user: { sub: 'u', iss: 'i', aud: 'a', exp: 1, claims: {}, source: 'authorization_header' }, roles: [], scopes: ['files:read'] };

describe('WWW-Authenticate (RFC 6750, RFC 9728, MCP authorization)', () => {
  it('401 invalid_token with a description and the resource metadata URL', () => {
    const v = invalidTokenChallenge('the token has expired', { resourceMetadata: RM, realm: 'mcp' });
    expect(v).toBe(`Bearer realm="mcp", error="invalid_token", error_description="the token has expired", resource_metadata="${RM}"`);
    expect(parseChallenge(v)).toEqual({ realm: 'mcp', error: 'invalid_token', error_description: 'the token has expired', resource_metadata: RM });
  });

  it('403 insufficient_scope with the scopes, as in the MCP spec example', () => {
    const v = insufficientScopeChallenge(['files:read', 'files:write', 'user:profile'], { resourceMetadata: RM, description: 'Additional file write permission required' });
    expect(parseChallenge(v)).toEqual({
      error: 'insufficient_scope',
      error_description: 'Additional file write permission required',
      scope: 'files:read files:write user:profile',
      resource_metadata: RM,
    });
  });

  it('quotes cannot break out of a parameter (no injected scope or error)', () => {
    const evil = 'x", scope="admin", error="none';
    const v = invalidTokenChallenge(evil, { realm: 'a"b\\c', resourceMetadata: 'https://x.example/a"b c' });
    const p = parseChallenge(v);
    expect(p.error).toBe('invalid_token');
    expect(p.scope).toBeUndefined();
    // RFC 6750 forbids " and \ in error_description: they are replaced, not escaped.
    expect(p.error_description).toBe("x', scope='admin', error='none");
    // realm is a quoted-string: " and \ are escaped and come back intact.
    expect(p.realm).toBe('a"b\\c');
    expect(p.resource_metadata).toBe('https://x.example/a%22b%20c');
  });

  it('removes control and non-ASCII characters, cuts long descriptions, drops invalid scope tokens', () => {
    const v = bearerChallenge({ error: 'invalid_token', errorDescription: `bad\r\nSet-Cookie: x=1 ü ${'d'.repeat(400)}`, scope: ['ok', 'has"quote', 'back\\slash', 'ok', 'fine:1', 'ünicode'] });
    expect(v).not.toMatch(/[\r\n\u0080-\uffff]/);
    const p = parseChallenge(v);
    expect(p.error_description!.startsWith('badSet-Cookie: x=1')).toBe(true);
    expect(p.error_description!.length).toBeLessThanOrEqual(256);
    expect(p.scope).toBe('ok fine:1');
  });

  it('leaves out parameters that are empty or invalid', () => {
    expect(bearerChallenge({})).toBe('Bearer');
    expect(bearerChallenge({ scope: ['"'], resourceMetadata: 'not a url', realm: '\r\n' })).toBe('Bearer');
    expect(bearerChallenge({ resourceMetadata: 'javascript:alert(1)' })).toBe('Bearer');
  });

  it('always yields a parseable challenge (property)', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), fc.array(fc.string()), fc.string(), (desc, realm, scope, rm) => {
        const v = bearerChallenge({ error: 'invalid_token', errorDescription: desc, realm, scope, resourceMetadata: rm });
        expect(v).toMatch(/^[\x20-\x7e]*$/);
        expect(parseChallenge(v).error).toBe('invalid_token');
      }),
      { numRuns: 500 },
    );
  });
});

describe('challengeFor(identity)', () => {
  const opts = challengeOptions(config({ resource_metadata_url: RM, realm: 'mcp' }));

  it('no token: 401 without an error code (RFC 6750 §3.1), with scope guidance and resource_metadata', () => {
    const c = challengeFor(unverified('token_missing', 'no bearer token'), { ...opts, scope: ['tools:call'] });
    expect(c?.status).toBe(401);
    expect(parseChallenge(c!.wwwAuthenticate!)).toEqual({ realm: 'mcp', scope: 'tools:call', resource_metadata: RM });
    // JWT verification off: the same answer.
    expect(challengeFor({ verified: false, roles: [], scopes: [] }, opts)?.status).toBe(401);
  });

  it.each(['token_expired', 'token_not_yet_valid', 'signature_invalid', 'algorithm_not_allowed', 'audience_not_allowed', 'issuer_not_allowed', 'kid_unknown', 'token_malformed', 'token_too_large', 'claims_invalid'] as const)(
    '%s: 401 invalid_token',
    (code) => {
      const c = challengeFor(unverified(code), opts);
      expect(c?.status).toBe(401);
      expect(parseChallenge(c!.wwwAuthenticate!)).toMatchObject({ error: 'invalid_token', error_description: 'the token has expired', resource_metadata: RM });
    },
  );

  it('two authorization headers: 400 invalid_request', () => {
    const c = challengeFor(unverified('token_duplicate', 'more than one authorization header'), opts);
    expect(c?.status).toBe(400);
    expect(parseChallenge(c!.wwwAuthenticate!).error).toBe('invalid_request');
  });

  it('server-side problems are not the client token\'s fault: 503 / 500 without a challenge', () => {
    expect(challengeFor(unverified('jwks_unavailable'), opts)).toEqual({ status: 503 });
    expect(challengeFor(unverified('internal_error'), opts)).toEqual({ status: 500 });
  });

  it('a verified identity: nothing, or 403 insufficient_scope when scopes are missing', () => {
    expect(challengeFor(verifiedId, opts)).toBeUndefined();
    const c = challengeFor(verifiedId, { ...opts, scope: 'files:read files:write' });
    expect(c?.status).toBe(403);
    expect(parseChallenge(c!.wwwAuthenticate!)).toEqual({ realm: 'mcp', error: 'insufficient_scope', scope: 'files:read files:write', resource_metadata: RM });
  });
});
