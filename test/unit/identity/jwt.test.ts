import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { exportJWK, exportSPKI, generateKeyPair, SignJWT, type CryptoKey, type KeyObject } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { identityConfigSchema } from '../../../src/identity/config.js';
import { createIdentityResolver } from '../../../src/identity/resolve.js';

const ISS = 'https://idp.example.com/';
const AUD = 'mcp-gateway';
type Key = CryptoKey | KeyObject;
const keys: Record<string, { privateKey: Key; publicKey: Key; kid: string; alg: string }> = {};
let jwksFile: string;

beforeAll(async () => {
  for (const alg of ['RS256', 'ES256', 'EdDSA']) {
    const kp = await generateKeyPair(alg, { extractable: true });
    keys[alg] = { ...kp, kid: `kid-${alg}`, alg };
  }
  const jwks = { keys: await Promise.all(Object.values(keys).map(async (k) => ({ ...(await exportJWK(k.publicKey)), kid: k.kid, alg: k.alg, use: 'sig' }))) };
  jwksFile = join(mkdtempSync(join(tmpdir(), 'mcp-authz-jwks-')), 'jwks.json');
  writeFileSync(jwksFile, JSON.stringify(jwks));
});

const cfg = (jwt: Record<string, unknown> = {}, agent: Record<string, unknown> = {}) =>
  identityConfigSchema.parse({ jwt: { enabled: true, jwks_file: jwksFile, issuers: [ISS], audiences: [AUD], ...jwt }, agent });

async function token(alg = 'RS256', claims: Record<string, unknown> = {}, mutate?: (b: SignJWT) => SignJWT, kid?: string) {
  const k = keys[alg]!;
  let b = new SignJWT({ team: 'billing', roles: ['admin'], scope: 'tools:read tools:call', ...claims })
    .setProtectedHeader({ alg, kid: kid ?? k.kid })
    .setIssuer(ISS)
    .setAudience(AUD)
    .setSubject('user-1')
    .setIssuedAt()
    .setExpirationTime('5m');
  if (mutate) b = mutate(b);
  return b.sign(k.privateKey);
}

const resolve = (c: ReturnType<typeof cfg>, headers: Record<string, string>, path = '/mcp', principal?: string) =>
  createIdentityResolver(c).resolve({ headers, path, ...(principal ? { sourcePrincipal: principal } : {}) });

describe('JWT verification', () => {
  it.each(['RS256', 'ES256', 'EdDSA'])('verifies %s and exposes user, roles, scopes', async (alg) => {
    const id = await resolve(cfg(), { authorization: `Bearer ${await token(alg)}` });
    expect(id.verified).toBe(true);
    expect(id.error).toBeUndefined();
    expect(id.user).toMatchObject({ sub: 'user-1', iss: ISS, aud: AUD });
    expect(id.user!.claims.team).toBe('billing');
    expect(id.roles).toEqual(['admin']);
    expect(id.scopes).toEqual(['tools:read', 'tools:call']);
  });

  const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');

  it.each([
    ['alg none', async () => `${b64({ alg: 'none' })}.${b64({ sub: 'x', iss: ISS, aud: AUD })}.`, 'algorithm_not_allowed'],
    [
      'HS256 signed with the RSA public key (algorithm confusion)',
      async () => {
        const pem = await exportSPKI(keys.RS256!.publicKey);
        return new SignJWT({ sub: 'x' }).setProtectedHeader({ alg: 'HS256', kid: keys.RS256!.kid }).setIssuer(ISS).setAudience(AUD).setExpirationTime('5m').sign(new TextEncoder().encode(pem));
      },
      'algorithm_not_allowed',
    ],
    ['wrong issuer', () => token('RS256', {}, (b) => b.setIssuer('https://evil.example/')), 'issuer_not_allowed'],
    ['wrong audience', () => token('RS256', {}, (b) => b.setAudience('other')), 'audience_not_allowed'],
    ['expired', () => token('RS256', {}, (b) => b.setExpirationTime(Math.floor(Date.now() / 1000) - 3600)), 'token_expired'],
    ['not yet valid', () => token('RS256', {}, (b) => b.setNotBefore(Math.floor(Date.now() / 1000) + 3600)), 'token_not_yet_valid'],
    ['unknown kid', () => token('RS256', {}, undefined, 'nope'), 'kid_unknown'],
    [
      'tampered payload',
      async () => {
        const [h, , s] = (await token('RS256')).split('.');
        return `${h}.${b64({ sub: 'admin', iss: ISS, aud: AUD, exp: 9999999999, roles: ['admin'] })}.${s}`;
      },
      'signature_invalid',
    ],
    ['oversized', () => token('RS256', { blob: 'x'.repeat(10_000) }), 'token_too_large'],
    ['malformed base64 segment', async () => `${(await token('RS256')).split('.')[0]}.@@@.sig`, 'token_malformed'],
  ])('%s → %s', async (_name, make, code) => {
    const id = await resolve(cfg(), { authorization: `Bearer ${await make()}` });
    expect(id.verified).toBe(false);
    expect(id.error?.code).toBe(code);
    expect(id.user).toBeUndefined();
  });

  it('accepts a token expired within the clock skew, rejects it beyond', async () => {
    const t = await token('RS256', {}, (b) => b.setExpirationTime(Math.floor(Date.now() / 1000) - 10));
    expect((await resolve(cfg({ clock_skew_seconds: 30 }), { authorization: `Bearer ${t}` })).verified).toBe(true);
    expect((await resolve(cfg({ clock_skew_seconds: 0 }), { authorization: `Bearer ${t}` })).error?.code).toBe('token_expired');
  });

  it('ignores tokens in the query string', async () => {
    const id = await resolve(cfg(), {}, `/mcp?access_token=${await token()}`);
    expect(id.verified).toBe(false);
    expect(id.error?.code).toBe('token_missing');
  });

  it('refuses duplicate authorization headers (Envoy joins them with a comma)', async () => {
    const t = await token();
    const id = await resolve(cfg(), { authorization: `Bearer ${t},Bearer ${t}` });
    expect(id.error?.code).toBe('token_duplicate');
  });

  it('trusts an upstream-verified payload header only when configured, only from that header', async () => {
    const payload = Buffer.from(JSON.stringify({ sub: 'u2', iss: ISS, team: 'ops' })).toString('base64url');
    const c = identityConfigSchema.parse({ jwt: { enabled: true, sources: ['payload_header'], payload_header: 'x-jwt-payload' } });
    expect((await createIdentityResolver(c).resolve({ headers: { 'x-jwt-payload': payload }, path: '/' })).user?.claims.team).toBe('ops');
    expect((await createIdentityResolver(c).resolve({ headers: { 'x-other': payload }, path: '/' })).verified).toBe(false);
    const notConfigured = await resolve(cfg(), { 'x-jwt-payload': payload });
    expect(notConfigured.verified).toBe(false);
  });

  it('rejects configurations that would allow none or HS* without a secret', () => {
    expect(identityConfigSchema.safeParse({ jwt: { algorithms: ['none'] } }).success).toBe(false);
    const hs = identityConfigSchema.safeParse({ jwt: { enabled: true, jwks_file: '/x', algorithms: ['HS256'] } });
    expect(hs.success).toBe(false);
    expect(JSON.stringify(hs.error?.issues)).toContain('hs_secret');
    expect(identityConfigSchema.safeParse({ jwt: { enabled: true } }).success).toBe(false);
  });

  it('takes the agent from the SPIFFE service account, a header or a claim', async () => {
    const spiffe = await resolve(cfg(), {}, '/', 'spiffe://cluster.local/ns/agents/sa/support-agent');
    expect(spiffe.agent).toBe('support-agent');
    expect(spiffe.workload).toEqual({ principal: 'spiffe://cluster.local/ns/agents/sa/support-agent', trust_domain: 'cluster.local', namespace: 'agents', service_account: 'support-agent' });
    expect((await resolve(cfg({}, { source: 'header', header: 'x-agent-id' }), { 'x-agent-id': 'bot-7' })).agent).toBe('bot-7');
    const viaClaim = await resolve(cfg({}, { source: 'claim', claim: 'azp' }), { authorization: `Bearer ${await token('ES256', { azp: 'agent-9' })}` });
    expect(viaClaim.agent).toBe('agent-9');
  });

  it('never throws on arbitrary headers', async () => {
    const r = createIdentityResolver(cfg());
    await fc.assert(
      fc.asyncProperty(fc.dictionary(fc.string({ maxLength: 20 }), fc.string({ maxLength: 200 })), fc.string(), async (headers, principal) => {
        const id = await r.resolve({ headers, path: '/', sourcePrincipal: principal });
        expect(typeof id.verified).toBe('boolean');
      }),
      { numRuns: 200 },
    );
  });
});
