import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { createIdentityResolver, type IdentityRequest } from '../../../src/identity/resolve.js';
import { AUD, b64, config, ISS, jwks, jwtConfig, makeKey, NOW, now, sign, writeJwksFile, type TestKey } from './helpers.js';

let key: TestKey;
let jwksFile: string;
const SUPPORT = 'spiffe://cluster.local/ns/agents/sa/support-agent';

beforeAll(async () => {
  key = await makeKey('ES256');
  jwksFile = writeJwksFile(jwks(key));
});

const resolveWith = (cfg: ReturnType<typeof config>, req: Partial<IdentityRequest>) =>
  createIdentityResolver(cfg, { now }).resolve({ headers: {}, path: '/mcp', ...req });

describe('where the token comes from', () => {
  it('never reads a token from the query string', async () => {
    const token = await sign(key);
    for (const path of [`/mcp?access_token=${token}`, `/mcp?token=${token}&access_token=${token}`]) {
      const id = await resolveWith(jwtConfig(jwksFile), { path });
      expect(id.verified).toBe(false);
      expect(id.error?.code).toBe('token_missing');
    }
  });

  it('refuses two authorization headers (Envoy joins them with ",") and two keys for one header', async () => {
    const token = await sign(key);
    const joined = await resolveWith(jwtConfig(jwksFile), { headers: { authorization: `Bearer ${token},Bearer ${token}` } });
    expect(joined.error?.code).toBe('token_duplicate');
    expect(joined.verified).toBe(false);
    const twoKeys = await resolveWith(jwtConfig(jwksFile), { headers: { authorization: `Bearer ${token}`, Authorization: `Bearer ${token}` } });
    expect(twoKeys.error?.code).toBe('token_duplicate');
  });

  it.each([
    ['no authorization header', {}, 'token_missing'],
    ['another scheme', { authorization: 'Basic dXNlcjpwYXNz' }, 'token_missing'],
    ['a scheme that only starts like Bearer', { authorization: 'Bearerx abc.def.ghi' }, 'token_missing'],
    ['Bearer without a token', { authorization: 'Bearer' }, 'token_malformed'],
    ['Bearer with two tokens', { authorization: 'Bearer abc.def.ghi jkl.mno.pqr' }, 'token_malformed'],
    ['an opaque (non-JWT) token', { authorization: 'Bearer 2YotnFZFEjr1zKsicMWpAA' }, 'token_malformed'],
  ])('%s → %s', async (_name, headers, code) => {
    const id = await resolveWith(jwtConfig(jwksFile), { headers });
    expect(id.error?.code).toBe(code);
    expect(id.verified).toBe(false);
  });

  it('accepts the scheme in any case and a header name in any case', async () => {
    const token = await sign(key);
    expect((await resolveWith(jwtConfig(jwksFile), { headers: { authorization: `bearer  ${token}` } })).verified).toBe(true);
    expect((await resolveWith(jwtConfig(jwksFile), { headers: { Authorization: `BEARER ${token}` } })).verified).toBe(true);
  });

  it('with JWT verification off, nothing is verified and there is no error', async () => {
    const id = await resolveWith(config(), { headers: { authorization: `Bearer ${await sign(key)}` } });
    expect(id).toEqual({ verified: false, roles: [], scopes: [] });
  });
});

describe('payload header (Istio outputPayloadToHeader)', () => {
  const payload = (claims: Record<string, unknown> = {}) => b64({ sub: 'u2', iss: ISS, aud: AUD, exp: NOW + 60, team: 'ops', ...claims });
  const meshCfg = (jwt: Record<string, unknown> = {}) =>
    config({ jwt: { enabled: true, sources: ['payload_header'], payload_header: 'X-Jwt-Payload', ...jwt } });

  it('is trusted from the configured header only, padded or not', async () => {
    const unpadded = payload({ n: 1 });
    const padded = unpadded + '='.repeat((4 - (unpadded.length % 4)) % 4);
    for (const value of [unpadded, padded]) {
      const id = await resolveWith(meshCfg(), { headers: { 'x-jwt-payload': value } });
      expect(id.verified).toBe(true);
      expect(id.user).toMatchObject({ sub: 'u2', source: 'payload_header' });
      expect(id.user!.claims.team).toBe('ops');
    }
    const other = await resolveWith(meshCfg(), { headers: { 'x-other-payload': unpadded } });
    expect(other.verified).toBe(false);
    expect(other.error?.code).toBe('token_missing');
  });

  it('is ignored when payload_header is not among the sources', async () => {
    const cfg = jwtConfig(jwksFile, { payload_header: 'x-jwt-payload' });
    const id = await resolveWith(cfg, { headers: { 'x-jwt-payload': payload() } });
    expect(id.verified).toBe(false);
    expect(id.error?.code).toBe('token_missing');
  });

  it.each([
    ['expired', () => payload({ exp: NOW - 3600 }), {}, 'token_expired'],
    ['issuer not allowed (when issuers are configured)', () => payload({ iss: 'https://evil/' }), { issuers: [ISS] }, 'issuer_not_allowed'],
    ['audience not allowed (when audiences are configured)', () => payload({ aud: 'x' }), { audiences: [AUD] }, 'audience_not_allowed'],
    ['two headers joined', () => `${payload()},${payload()}`, {}, 'token_duplicate'],
    ['not base64url', () => 'eyJ+/=', {}, 'token_malformed'],
    ['not JSON', () => b64('hello'), {}, 'token_malformed'],
    ['a JSON array', () => b64([1, 2]), {}, 'token_malformed'],
    ['a whole JWT instead of the payload', async () => sign(key), {}, 'token_malformed'],
    ['too large', () => b64({ blob: 'x'.repeat(9000) }), {}, 'token_too_large'],
  ])('%s → %s', async (_name, make, jwt, code) => {
    const id = await resolveWith(meshCfg(jwt), { headers: { 'x-jwt-payload': await make() } });
    expect(id.error?.code).toBe(code);
    expect(id.verified).toBe(false);
  });

  it('uses the first source present; a present but bad one does not fall back', async () => {
    const both = config({
      jwt: {
        enabled: true,
        sources: ['payload_header', 'authorization_header'],
        payload_header: 'x-jwt-payload',
        jwks_file: jwksFile,
        issuers: [ISS],
        audiences: [AUD],
      },
    });
    const token = await sign(key, { claims: { team: 'from-token' } });
    expect((await resolveWith(both, { headers: { authorization: `Bearer ${token}` } })).user?.source).toBe('authorization_header');
    const viaPayload = await resolveWith(both, { headers: { authorization: `Bearer ${token}`, 'x-jwt-payload': payload() } });
    expect(viaPayload.user).toMatchObject({ source: 'payload_header', claims: { team: 'ops' } });
    const bad = await resolveWith(both, { headers: { authorization: `Bearer ${token}`, 'x-jwt-payload': 'not*base64' } });
    expect(bad.verified).toBe(false);
    expect(bad.error?.code).toBe('token_malformed');
  });
});

describe('workload, agent, roles and scopes', () => {
  it('parses the mTLS peer as a SPIFFE ID and takes the whole ID as the agent (trust domain and namespace count)', async () => {
    const id = await resolveWith(config(), { sourcePrincipal: SUPPORT });
    expect(id.workload).toEqual({
      principal: SUPPORT,
      trust_domain: 'cluster.local',
      path: '/ns/agents/sa/support-agent',
      namespace: 'agents',
      service_account: 'support-agent',
    });
    expect(id.agent).toBe(SUPPORT);
    const elsewhere = await resolveWith(config(), { sourcePrincipal: 'spiffe://cluster.local/ns/attacker/sa/support-agent' });
    expect(elsewhere.agent).toBe('spiffe://cluster.local/ns/attacker/sa/support-agent');
    const foreign = await resolveWith(config(), { sourcePrincipal: 'spiffe://evil.example/ns/agents/sa/support-agent' });
    expect(foreign.agent).not.toBe(id.agent);
  });

  it('reports a malformed principal and has no agent', async () => {
    const id = await resolveWith(config(), { sourcePrincipal: 'spiffe://Cluster.local/ns/a/sa/b' });
    expect(id.workload).toMatchObject({ principal: 'spiffe://Cluster.local/ns/a/sa/b', error: expect.any(String) });
    expect(id.agent).toBeUndefined();
    expect((await resolveWith(config(), {})).workload).toBeUndefined();
  });

  it('takes the agent from a header: one value of printable characters only', async () => {
    const cfg = config({ agent: { source: 'header', header: 'X-Agent-Id' } });
    expect((await resolveWith(cfg, { headers: { 'x-agent-id': 'bot-7' } })).agent).toBe('bot-7');
    for (const value of ['bot-7,admin-bot', 'bot 7', 'bot\r\nx', '', 'x'.repeat(300)]) {
      expect((await resolveWith(cfg, { headers: { 'x-agent-id': value } })).agent).toBeUndefined();
    }
  });

  it('takes the agent from a claim of a verified token only', async () => {
    const cfg = jwtConfig(jwksFile, {}, { agent: { source: 'claim', claim: 'azp' } });
    expect((await resolveWith(cfg, { headers: { authorization: `Bearer ${await sign(key, { claims: { azp: 'agent-9' } })}` } })).agent).toBe(
      'agent-9',
    );
    const expired = await sign(key, { claims: { azp: 'agent-9' }, exp: NOW - 3600 });
    expect((await resolveWith(cfg, { headers: { authorization: `Bearer ${expired}` } })).agent).toBeUndefined();
  });

  it('reads roles from a nested claim and scopes from scope and scp', async () => {
    const cfg = jwtConfig(jwksFile, { roles_claim: 'realm_access.roles' });
    const token = await sign(key, { claims: { realm_access: { roles: ['admin', 7, 'viewer'] }, scope: 'a b  a', scp: ['c', 'a'] } });
    const id = await resolveWith(cfg, { headers: { authorization: `Bearer ${token}` } });
    expect(id.roles).toEqual(['admin', 'viewer']);
    expect(id.scopes).toEqual(['a', 'b', 'c']);
  });

  it('reads a single-string roles claim as one role; only the scope claims are split on spaces', async () => {
    const cfg = jwtConfig(jwksFile);
    const token = await sign(key, { claims: { roles: 'billing admin', scope: 'tools:read tools:call', scp: 'files:write' } });
    const id = await resolveWith(cfg, { headers: { authorization: `Bearer ${token}` } });
    expect(id.roles).toEqual(['billing admin']);
    expect(id.scopes).toEqual(['tools:read', 'tools:call', 'files:write']);
    const tab = await sign(key, { claims: { roles: '', scope: 'a\tb' } });
    const other = await resolveWith(cfg, { headers: { authorization: `Bearer ${tab}` } });
    expect(other.roles).toEqual([]);
    expect(other.scopes).toEqual(['a\tb']); // RFC 6749: scopes are separated by SP only; a tab is no separator
  });
});

describe('resolve never throws', () => {
  const headerValue = fc.oneof(
    fc.string({ maxLength: 300 }),
    fc.constantFrom('Bearer ', 'bearer x.y.z', 'Bearer a,Bearer b', 'Bearer eyJhbGciOiJub25lIn0.e30.', 'Bearer ....'),
    fc
      .tuple(
        fc.constantFrom('Bearer ', ''),
        fc.base64String({ maxLength: 200 }),
        fc.constantFrom('', '.', '..', ','),
        fc.base64String({ maxLength: 200 }),
      )
      .map((p) => p.join('')),
    fc.string({ minLength: 9000, maxLength: 9100 }),
  );
  const headerName = fc.oneof(
    fc.string({ maxLength: 20 }),
    fc.constantFrom('authorization', 'Authorization', 'x-jwt-payload', 'x-agent-id', '__proto__', 'constructor'),
  );

  it('on arbitrary header maps, paths and principals', async () => {
    const token = await sign(key);
    const resolvers = [
      createIdentityResolver(jwtConfig(jwksFile), { now }),
      createIdentityResolver(
        config({
          jwt: {
            enabled: true,
            sources: ['payload_header', 'authorization_header'],
            payload_header: 'x-jwt-payload',
            jwks_file: jwksFile,
            issuers: [ISS],
            audiences: [AUD],
          },
          agent: { source: 'header', header: 'x-agent-id' },
        }),
        { now },
      ),
    ];
    await fc.assert(
      fc.asyncProperty(
        fc.dictionary(headerName, fc.oneof(headerValue, fc.constant(`Bearer ${token}`))),
        fc.string(),
        fc.option(fc.oneof(fc.string(), fc.constant(SUPPORT)), { nil: undefined }),
        async (headers, path, principal) => {
          for (const r of resolvers) {
            const id = await r.resolve({ headers, path, ...(principal !== undefined ? { sourcePrincipal: principal } : {}) });
            expect(typeof id.verified).toBe('boolean');
            // Verified exactly when there is a user and no error.
            expect(id.verified).toBe(id.user !== undefined);
            expect(id.verified).toBe(id.error === undefined);
            expect(Array.isArray(id.roles) && Array.isArray(id.scopes)).toBe(true);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('on values that are not strings at all', async () => {
    const r = createIdentityResolver(jwtConfig(jwksFile), { now });
    const odd = [{ authorization: 42 }, { authorization: null }, null, undefined] as unknown as Record<string, string>[];
    for (const headers of odd) {
      const id = await r.resolve({ headers, path: '/' });
      expect(id.verified).toBe(false);
    }
  });
});
