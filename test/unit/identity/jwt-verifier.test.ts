import { exportSPKI, SignJWT } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { createJwtVerifier } from '../../../src/identity/jwt-verifier.js';
import { createIdentityResolver } from '../../../src/identity/resolve.js';
import { AUD, b64, ISS, jwks, jwtConfig, makeKey, NOW, now, sign, writeJwksFile, type TestKey } from './helpers.js';

let rsa: TestKey;
let ec: TestKey;
let ed: TestKey;
let outsider: TestKey;
let jwksFile: string;

beforeAll(async () => {
  [rsa, ec, ed, outsider] = await Promise.all([makeKey('RS256'), makeKey('ES256'), makeKey('EdDSA'), makeKey('RS256', 'kid-RS256')]);
  jwksFile = writeJwksFile(jwks(rsa, ec, ed));
});

/** Resolve one request carrying `token` as a bearer token, with the default test configuration. */
async function withToken(token: string, jwt: Record<string, unknown> = {}) {
  const resolver = createIdentityResolver(jwtConfig(jwksFile, jwt), { now });
  try {
    return await resolver.resolve({ headers: { authorization: `Bearer ${token}` }, path: '/mcp' });
  } finally {
    resolver.close();
  }
}

describe('bearer token verification (jose, JWKS file)', () => {
  it.each(['RS256', 'ES256', 'EdDSA'])('accepts a valid %s token and exposes the user', async (alg) => {
    const key = { RS256: rsa, ES256: ec, EdDSA: ed }[alg]!;
    const id = await withToken(
      await sign(key, { claims: { team: 'billing', roles: ['admin', 'admin'], scope: 'tools:read tools:call', scp: ['tools:call', 'files:read'] } }),
    );
    expect(id.error).toBeUndefined();
    expect(id.verified).toBe(true);
    expect(id.user).toMatchObject({ sub: 'user-1', iss: ISS, aud: AUD, exp: NOW + 300, source: 'authorization_header' });
    expect(id.user!.claims.team).toBe('billing');
    expect(id.roles).toEqual(['admin']);
    expect(id.scopes).toEqual(['tools:read', 'tools:call', 'files:read']);
  });

  it('binds tokens to the protected resource (jwt.resource, RFC 8707): its aud names the resource, else it is refused', async () => {
    const resource = 'https://mcp.example.com/mcp';
    const bound = { audiences: [], resource };
    expect((await withToken(await sign(rsa, { aud: resource }), bound)).verified).toBe(true);
    expect((await withToken(await sign(rsa, { aud: ['https://other.example.com/mcp', resource] }), bound)).verified).toBe(true);
    const other = await withToken(await sign(rsa, { aud: 'https://other.example.com/mcp' }), bound);
    expect(other.verified).toBe(false);
    expect(other.error?.code).toBe('audience_not_allowed');
    // The default test audience is refused once only the resource is accepted.
    expect((await withToken(await sign(rsa, {}), bound)).error?.code).toBe('audience_not_allowed');
  });

  it('accepts an audience list that contains an allowed audience', async () => {
    expect((await withToken(await sign(rsa, { aud: ['other', AUD] }))).verified).toBe(true);
  });

  it('tries each fitting key when the token has no kid', async () => {
    const second = await makeKey('ES256', 'second');
    const file = writeJwksFile(jwks(ec, second));
    const resolver = createIdentityResolver(jwtConfig(file), { now });
    const id = await resolver.resolve({ headers: { authorization: `Bearer ${await sign(second, { kid: null })}` }, path: '/' });
    expect(id.verified).toBe(true);
    const forged = await resolver.resolve({ headers: { authorization: `Bearer ${await sign(await makeKey('ES256'), { kid: null })}` }, path: '/' });
    expect(forged.error?.code).toBe('signature_invalid');
  });

  it('accepts a token expired or not yet valid within the clock skew, and not beyond it', async () => {
    const expired10s = await sign(rsa, { exp: NOW - 10 });
    expect((await withToken(expired10s, { clock_skew_seconds: 30 })).verified).toBe(true);
    expect((await withToken(expired10s, { clock_skew_seconds: 0 })).error?.code).toBe('token_expired');
    const early10s = await sign(rsa, { nbf: NOW + 10 });
    expect((await withToken(early10s, { clock_skew_seconds: 30 })).verified).toBe(true);
    expect((await withToken(early10s, { clock_skew_seconds: 0 })).error?.code).toBe('token_not_yet_valid');
  });
});

describe('attacks and bad tokens: each is a result with its own code, never an exception', () => {
  const cases: [string, () => Promise<string>, string][] = [
    [
      'alg none, empty signature',
      async () => `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ sub: 'admin', iss: ISS, aud: AUD, exp: NOW + 300 })}.`,
      'algorithm_not_allowed',
    ],
    [
      'alg None with a signature',
      async () => `${b64({ alg: 'None' })}.${b64({ sub: 'admin', iss: ISS, aud: AUD, exp: NOW + 300 })}.c2ln`,
      'algorithm_not_allowed',
    ],
    ['no alg at all', async () => `${b64({ kid: 'kid-RS256' })}.${b64({ sub: 'admin' })}.c2ln`, 'algorithm_not_allowed'],
    [
      'HS256 "signed" with the RSA public key (algorithm confusion)',
      async () => {
        const pem = await exportSPKI(rsa.publicKey);
        return new SignJWT({ sub: 'admin', iss: ISS, aud: AUD, exp: NOW + 300 })
          .setProtectedHeader({ alg: 'HS256', kid: rsa.kid })
          .sign(new TextEncoder().encode(pem));
      },
      'algorithm_not_allowed',
    ],
    ['an algorithm not in the allowlist (RS512)', async () => sign(await makeKey('RS512', rsa.kid)), 'algorithm_not_allowed'],
    ['wrong issuer', () => sign(rsa, { iss: 'https://evil.example/' }), 'issuer_not_allowed'],
    ['no issuer', () => sign(rsa, { iss: null }), 'issuer_not_allowed'],
    ['wrong audience (a token for another service)', () => sign(rsa, { aud: 'billing-api' }), 'audience_not_allowed'],
    ['no audience', () => sign(rsa, { aud: null }), 'audience_not_allowed'],
    ['expired', () => sign(rsa, { exp: NOW - 3600 }), 'token_expired'],
    ['not yet valid', () => sign(rsa, { nbf: NOW + 3600 }), 'token_not_yet_valid'],
    ['no exp (required)', () => sign(rsa, { exp: null }), 'claims_invalid'],
    ['unknown kid', () => sign(outsider, { kid: 'rotated-away' }), 'kid_unknown'],
    ['a known kid, signed by another key', () => sign(outsider), 'signature_invalid'],
    [
      'tampered payload (sub and roles changed, signature kept)',
      async () => {
        const [h, , s] = (await sign(rsa)).split('.');
        return `${h}.${b64({ sub: 'admin', iss: ISS, aud: AUD, exp: NOW + 300, roles: ['admin'] })}.${s}`;
      },
      'signature_invalid',
    ],
    [
      'tampered header (kid switched to another key)',
      async () => {
        const [, p, s] = (await sign(rsa)).split('.');
        return `${b64({ alg: 'ES256', kid: ec.kid })}.${p}.${s}`;
      },
      'signature_invalid',
    ],
    ['oversized token', () => sign(rsa, { claims: { blob: 'x'.repeat(9000) } }), 'token_too_large'],
    ['oversized garbage (size is checked before parsing)', async () => '%'.repeat(9000), 'token_too_large'],
    ['malformed base64 segment', async () => `${(await sign(rsa)).split('.')[0]}.@@@.c2ln`, 'token_malformed'],
    ['two segments', async () => (await sign(rsa)).split('.').slice(0, 2).join('.'), 'token_malformed'],
    ['header is not JSON', async () => `${b64('not json')}.${b64({ sub: 'x' })}.c2ln`, 'token_malformed'],
    [
      'payload is not JSON',
      async () => {
        const [h, , s] = (await sign(rsa)).split('.');
        return `${h}.${b64('not json')}.${s}`;
      },
      'signature_invalid',
    ],
  ];

  it.each(cases)('%s → %s', async (_name, make, code) => {
    const id = await withToken(await make());
    expect(id.error?.code).toBe(code);
    expect(id.verified).toBe(false);
    expect(id.user).toBeUndefined();
    expect(id.roles).toEqual([]);
    expect(id.scopes).toEqual([]);
  });

  it('HS256 with an explicit secret: the right secret verifies, the RSA public key as secret does not', async () => {
    const secret = 's'.repeat(40);
    const cfg = jwtConfig(jwksFile, { hs_secret: secret, algorithms: ['RS256', 'HS256'] }).jwt;
    const verifier = createJwtVerifier(cfg, { now });
    const hs = (key: Uint8Array) =>
      new SignJWT({ sub: 'u', iss: ISS, aud: AUD, exp: NOW + 300 }).setProtectedHeader({ alg: 'HS256', kid: rsa.kid }).sign(key);
    expect((await verifier.verify(await hs(new TextEncoder().encode(secret)))).ok).toBe(true);
    const confused = await verifier.verify(await hs(new TextEncoder().encode(await exportSPKI(rsa.publicKey))));
    expect(confused).toMatchObject({ ok: false, code: 'signature_invalid' });
    // The RSA path still works beside it.
    expect((await verifier.verify(await sign(rsa))).ok).toBe(true);
  });

  it('a closed verifier answers jwks_unavailable', async () => {
    const verifier = createJwtVerifier(jwtConfig(jwksFile).jwt, { now });
    verifier.close();
    expect(await verifier.verify(await sign(rsa))).toMatchObject({ ok: false, code: 'jwks_unavailable' });
  });
});

describe('JWKS file', () => {
  it('is read once, by the factory: problems throw at startup with the file named', async () => {
    const priv = await makeKey('ES256');
    const { exportJWK } = await import('jose');
    const withPrivate = writeJwksFile({ keys: [{ ...(await exportJWK(priv.privateKey)), kid: 'x' }] });
    expect(() => createIdentityResolver(jwtConfig(withPrivate))).toThrow(/private key material/);
    expect(() => createIdentityResolver(jwtConfig(writeJwksFile({ keys: [{ kty: 'oct', k: 'c2VjcmV0' }] })))).toThrow(/symmetric/);
    expect(() => createIdentityResolver(jwtConfig(writeJwksFile({ nope: 1 })))).toThrow(/not a JWKS/);
    expect(() => createIdentityResolver(jwtConfig('/nonexistent/jwks.json'))).toThrow(/ENOENT/);
  });
});
