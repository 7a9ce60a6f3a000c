import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { identityConfigSchema } from '../../src/identity/config.js';
import { createIdentityResolver } from '../../src/identity/resolve.js';

describe('remote JWKS (a real HTTP server on 127.0.0.1)', () => {
  let server: Server;
  let url: string;
  let hits = 0;
  let jwks: { keys: unknown[] } = { keys: [] };
  const key1 = generateKeyPair('ES256', { extractable: true });
  const key2 = generateKeyPair('ES256', { extractable: true });

  beforeAll(async () => {
    jwks = { keys: [{ ...(await exportJWK((await key1).publicKey)), kid: 'k1', alg: 'ES256' }] };
    server = createServer((_req, res) => {
      hits++;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(jwks));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`;
  });
  afterAll(() => server?.close());

  const sign = async (kp: Promise<{ privateKey: any }>, kid: string) =>
    new SignJWT({ team: 'ops' })
      .setProtectedHeader({ alg: 'ES256', kid })
      .setIssuer('iss')
      .setAudience('aud')
      .setExpirationTime('5m')
      .sign((await kp).privateKey);

  it('rotates keys without a restart; unknown-kid refetches are rate-limited', async () => {
    const cfg = identityConfigSchema.parse({
      jwt: {
        enabled: true,
        jwks_uri: url,
        issuers: ['iss'],
        audiences: ['aud'],
        jwks_unknown_kid_min_interval_seconds: 0.5,
        jwks_refresh_seconds: 300,
      },
    });
    const resolver = createIdentityResolver(cfg);
    const check = async (token: string) => resolver.resolve({ headers: { authorization: `Bearer ${token}` }, path: '/' });

    expect((await check(await sign(key1, 'k1'))).verified).toBe(true);
    expect(hits).toBe(1);
    expect((await check(await sign(key1, 'k1'))).verified).toBe(true);
    expect(hits).toBe(1); // cached

    // The identity provider rotates to k2.
    jwks = { keys: [{ ...(await exportJWK((await key2).publicKey)), kid: 'k2', alg: 'ES256' }] };
    await new Promise((r) => setTimeout(r, 600)); // past the unknown-kid cooldown
    const rotated = await check(await sign(key2, 'k2'));
    expect(rotated.verified).toBe(true);
    expect(hits).toBe(2);

    // A burst of tokens with an unknown kid refetches at most once per cooldown.
    const before = hits;
    const results = await Promise.all(Array.from({ length: 20 }, async () => check(await sign(key1, 'unknown-kid'))));
    expect(results.every((r) => r.error?.code === 'kid_unknown')).toBe(true);
    expect(hits - before).toBeLessThanOrEqual(1);
  });

  it('an unreachable JWKS is jwks_unavailable, not an exception', async () => {
    const cfg = identityConfigSchema.parse({
      jwt: { enabled: true, jwks_uri: 'http://127.0.0.1:1/jwks.json', jwks_timeout_ms: 500, issuers: ['iss'], audiences: ['aud'] },
    });
    const id = await createIdentityResolver(cfg).resolve({ headers: { authorization: `Bearer ${await sign(key1, 'k1')}` }, path: '/' });
    expect(id.verified).toBe(false);
    expect(id.error?.code).toBe('jwks_unavailable');
  });
});
