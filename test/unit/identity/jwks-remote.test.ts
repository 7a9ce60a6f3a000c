import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { remoteKeySource } from '../../../src/identity/jwks.js';
import { createJwtVerifier } from '../../../src/identity/jwt-verifier.js';
import { createIdentityResolver } from '../../../src/identity/resolve.js';
import { AUD, config, ISS, jwks, makeKey, now, sign, type TestKey } from './helpers.js';

/** A real JWKS server on 127.0.0.1:0 whose answer the test changes; it counts its hits. */
class JwksServer {
  hits = 0;
  handler: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) => res.writeHead(404).end();
  private server!: Server;
  url = '';

  serve(doc: unknown): void {
    this.handler = (_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(doc));
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      this.hits++;
      this.handler(req, res);
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/.well-known/jwks.json`;
    return this;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

let k1: TestKey;
let k2: TestKey;
let stranger: TestKey;
const servers: JwksServer[] = [];
const closers: (() => void)[] = [];

beforeAll(async () => {
  [k1, k2, stranger] = await Promise.all([makeKey('ES256', 'k1'), makeKey('ES256', 'k2'), makeKey('ES256', 'unknown')]);
});
afterEach(async () => {
  for (const close of closers.splice(0)) close();
  await Promise.all(servers.splice(0).map((s) => s.stop()));
});

async function jwksServer(doc?: unknown): Promise<JwksServer> {
  const s = await new JwksServer().start();
  if (doc) s.serve(doc);
  servers.push(s);
  return s;
}

function resolverFor(url: string, jwt: Record<string, unknown> = {}) {
  const r = createIdentityResolver(config({ jwt: { enabled: true, jwks_uri: url, issuers: [ISS], audiences: [AUD], ...jwt } }), { now });
  closers.push(() => r.close());
  return async (key: TestKey) => r.resolve({ headers: { authorization: `Bearer ${await sign(key)}` }, path: '/mcp' });
}

/** A verifier over remoteKeySource with a hand-driven clock (refresh and retry intervals without waiting). */
function verifierWithClock(url: string, o: { refreshMs?: number; minIntervalMs?: number; timeoutMs?: number; maxBytes?: number } = {}) {
  let t = 0;
  const keys = remoteKeySource({
    url,
    refreshMs: o.refreshMs ?? 60_000,
    timeoutMs: o.timeoutMs ?? 2000,
    minIntervalMs: o.minIntervalMs ?? 30_000,
    clock: () => t,
    ...(o.maxBytes ? { maxBytes: o.maxBytes } : {}),
  });
  const verifier = createJwtVerifier(config({ jwt: { enabled: true, jwks_uri: url, issuers: [ISS], audiences: [AUD] } }).jwt, {
    now,
    keySource: keys,
  });
  closers.push(() => verifier.close());
  return { verify: async (key: TestKey) => verifier.verify(await sign(key)), advance: (ms: number) => (t += ms), settled: () => keys.settled() };
}

describe('remote JWKS (a real HTTP server on 127.0.0.1)', () => {
  it('caches the key set, and picks up a rotated key on the next request without a new resolver', async () => {
    const server = await jwksServer(jwks(k1));
    const check = resolverFor(server.url, { jwks_unknown_kid_min_interval_seconds: 0.2 });
    expect(server.hits).toBe(0); // nothing is fetched before the first request

    expect((await check(k1)).verified).toBe(true);
    expect((await check(k1)).verified).toBe(true);
    expect(server.hits).toBe(1);

    server.serve(jwks(k2)); // the identity provider rotates to k2
    await sleep(250); // past the unknown-kid interval
    const rotated = await check(k2);
    expect(rotated.error).toBeUndefined();
    expect(rotated.verified).toBe(true);
    expect(server.hits).toBe(2);
    // k1 is gone from the set now.
    await sleep(250);
    expect((await check(k1)).error?.code).toBe('kid_unknown');
  });

  it('does not refetch for unknown kids within the interval after a fetch', async () => {
    const server = await jwksServer(jwks(k1));
    const check = resolverFor(server.url, { jwks_unknown_kid_min_interval_seconds: 60 });
    expect((await check(k1)).verified).toBe(true);
    const burst = await Promise.all(Array.from({ length: 25 }, () => check(stranger)));
    expect(burst.map((r) => r.error?.code)).toEqual(Array(25).fill('kid_unknown'));
    for (let i = 0; i < 5; i++) expect((await check(stranger)).error?.code).toBe('kid_unknown');
    expect(server.hits).toBe(1);
  });

  it('after the interval, a burst of unknown kids costs one fetch in all', async () => {
    const server = await jwksServer(jwks(k1));
    const v = verifierWithClock(server.url, { minIntervalMs: 30_000 });
    expect((await v.verify(k1)).ok).toBe(true);
    v.advance(30_000);
    const burst = await Promise.all(Array.from({ length: 25 }, () => v.verify(stranger)));
    expect(burst.every((r) => !r.ok && r.code === 'kid_unknown')).toBe(true);
    for (let i = 0; i < 5; i++) expect(await v.verify(stranger)).toMatchObject({ ok: false, code: 'kid_unknown' });
    expect(server.hits).toBe(2);
  });

  it('refreshes stale keys in the background and keeps them when the refresh fails', async () => {
    const server = await jwksServer(jwks(k1));
    const v = verifierWithClock(server.url, { refreshMs: 1000, minIntervalMs: 100 });
    expect((await v.verify(k1)).ok).toBe(true);
    expect(server.hits).toBe(1);

    server.handler = (_req, res) => res.writeHead(503).end('down');
    v.advance(1500); // stale: this request starts a refresh but does not wait for it
    expect((await v.verify(k1)).ok).toBe(true);
    await v.settled();
    expect(server.hits).toBe(2);
    expect((await v.verify(k1)).ok).toBe(true); // the refresh failed; the old keys are still in use

    server.serve(jwks(k1, k2));
    v.advance(1500);
    expect((await v.verify(k1)).ok).toBe(true);
    await v.settled();
    expect(server.hits).toBe(3);
    expect((await v.verify(k2)).ok).toBe(true); // already in the refreshed set: no fetch needed
    expect(server.hits).toBe(3);
  });

  it('an identity provider that is down: jwks_unavailable, and retries are throttled', async () => {
    const server = await jwksServer();
    server.handler = (_req, res) => res.writeHead(500).end();
    const v = verifierWithClock(server.url, { minIntervalMs: 30_000 });
    expect(await v.verify(k1)).toMatchObject({ ok: false, code: 'jwks_unavailable' });
    expect(await v.verify(k1)).toMatchObject({ ok: false, code: 'jwks_unavailable' });
    expect(server.hits).toBe(1);
    v.advance(1000); // failed fetches are retried after min(interval, 1 s)
    server.serve(jwks(k1));
    expect((await v.verify(k1)).ok).toBe(true);
    expect(server.hits).toBe(2);
  });

  it.each([
    ['not JSON', (_req: IncomingMessage, res: ServerResponse) => res.writeHead(200).end('<html>')],
    ['not a key set', (_req: IncomingMessage, res: ServerResponse) => res.writeHead(200).end('{"keys": 5}')],
    ['a redirect', (_req: IncomingMessage, res: ServerResponse) => res.writeHead(302, { location: 'http://127.0.0.1:1/' }).end()],
    [
      'larger than the cap',
      (_req: IncomingMessage, res: ServerResponse) => res.writeHead(200).end(JSON.stringify({ keys: [], pad: 'x'.repeat(5000) })),
    ],
    ['no answer within the timeout', () => undefined],
  ])('a JWKS response that is %s: jwks_unavailable', async (_name, handler) => {
    const server = await jwksServer();
    server.handler = handler;
    const v = verifierWithClock(server.url, { timeoutMs: 200, maxBytes: 4096 });
    expect(await v.verify(k1)).toMatchObject({ ok: false, code: 'jwks_unavailable' });
    expect(server.hits).toBe(1);
  });

  it('an unreachable JWKS is jwks_unavailable, not an exception', async () => {
    const check = resolverFor('http://127.0.0.1:1/jwks.json', { jwks_timeout_ms: 500 });
    const id = await check(k1);
    expect(id.verified).toBe(false);
    expect(id.error?.code).toBe('jwks_unavailable');
  });
});
